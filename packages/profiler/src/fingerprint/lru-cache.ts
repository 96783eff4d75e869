import { InvalidArgumentError } from '@stratum/core';

/**
 * A bounded least-recently-used cache over a `Map` (whose iteration order is insertion order): a hit
 * moves the entry to the end, and inserting past `capacity` evicts the first (least recently used) one.
 *
 * @example
 * const cache = new LruCache<string, number>(2);
 * cache.set('a', 1);
 * cache.set('b', 2);
 * cache.get('a'); // 1 ('a' is now the most recent)
 * cache.set('c', 3); // evicts 'b'
 * cache.get('b'); // undefined
 */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();

  /** @param capacity the maximum number of entries, at least 1. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError('capacity', 'a positive integer', capacity);
    }
  }

  /** The number of entries (never more than `capacity`). */
  get size(): number {
    return this.#map.size;
  }

  /** The value of `key` (marking it most recently used), or `undefined`. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** Stores `value` under `key` as the most recently used entry, evicting the least recently used if full. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  /** Whether `key` is cached (without touching its recency). */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
  }
}
