import { InvalidArgumentError } from '@stratum/core';
import { CacheStats, type CacheStatsSnapshot } from './cache-stats.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { CacheKeyError } from './errors/cache-key-error.js';
import type { CacheEntry, CacheStore } from './store/cache-store.js';

/** Options of {@link Cache}. */
export interface CacheOptions {
  /** Where entries live. */
  store: CacheStore;
  /** Prefix of every key in the store (`<namespace>:<key>`), e.g. the app name and a schema hash. */
  namespace: string;
  /** TTL of an entry when a call gives none, in ms. @default 60000 */
  defaultTtlMs?: number;
  /** When the store fails: how many failures in a row stop using it, and for how long. */
  breaker?: Omit<CircuitBreakerOptions, 'onRecover'>;
  /** Told about every store failure (the call itself falls through to the source). @default no-op */
  onError?: (error: unknown, operation: string) => void;
}

/** Options of one cached read ({@link Cache.wrap}). */
export interface WrapOptions<V> {
  /** How long the value is fresh, in ms. */
  ttlMs?: number;
  /** Tags of the entry: invalidating one of them invalidates it. */
  tags?: readonly string[];
  /** After the TTL, how long the old value may still be served while ONE refresh runs, in ms. @default 0 */
  staleWhileRevalidateMs?: number;
  /** Cache the loaded value only when this says so (e.g. not `null`). @default always */
  condition?: (value: V) => boolean;
}

/** What {@link Cache.invalidate} invalidates. */
export interface Invalidation {
  keys?: readonly string[];
  /** Glob patterns (`*`, `?`) over keys, e.g. `search:*:42`. */
  patterns?: readonly string[];
  tags?: readonly string[];
}

/**
 * A cache over a {@link CacheStore}: read-through (`wrap`), single-flight (concurrent misses of one
 * key in this process run the source once), stale-while-revalidate, versioned tags, and no stale
 * write-back (a value loaded before an invalidation is never stored after it). A failing store
 * never fails a call: the call falls through to the source, and a circuit breaker stops using the
 * store for a while after repeated failures.
 *
 * @example
 * ```ts
 * const cache = new Cache({ store: new MemoryStore({ maxEntries: 10_000 }), namespace: 'app' });
 * const track = await cache.wrap('track:42', () => em.fork().findOne(Track, 42), { ttlMs: 30_000, tags: ['album:1'] });
 * await cache.invalidate({ tags: ['album:1'] });
 * ```
 */
export class Cache {
  readonly store: CacheStore;
  readonly namespace: string;
  readonly #defaultTtlMs: number;
  readonly #stats = new CacheStats();
  readonly #breaker: CircuitBreaker;
  readonly #onError: (error: unknown, operation: string) => void;
  readonly #inflight = new Map<string, Promise<unknown>>();
  readonly #refreshing = new Set<string>();

  constructor(options: CacheOptions) {
    if (typeof options.namespace !== 'string' || options.namespace === '' || /[*?[\]{}]/.test(options.namespace)) {
      throw new InvalidArgumentError('namespace', 'a non-empty string without *, ?, [, ], { or }', options.namespace);
    }
    this.store = options.store;
    this.namespace = options.namespace;
    this.#defaultTtlMs = positive('defaultTtlMs', options.defaultTtlMs ?? 60_000);
    this.#breaker = new CircuitBreaker(options.breaker);
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * The cached value of `key`, else `loader()`'s (stored for `ttlMs`). Concurrent misses of one key
   * share one `loader()` call; an expired entry within `staleWhileRevalidateMs` is served while one
   * refresh runs in the background.
   */
  async wrap<V>(key: string, loader: () => Promise<V> | V, options: WrapOptions<V> = {}): Promise<V> {
    const full = this.#key(key);
    const ttlMs = positive('ttlMs', options.ttlMs ?? this.#defaultTtlMs);
    const read = await this.#try(key, 'get', () => this.store.get<V>(full));
    const now = Date.now();
    if (read?.entry !== undefined) {
      const { entry } = read;
      if (entry.expiresAt === undefined || entry.expiresAt > now) {
        this.#stats.count(key, 'hits');
        return entry.value;
      }
      if (entry.staleUntil !== undefined && entry.staleUntil > now) {
        this.#stats.count(key, 'staleServed');
        this.#stats.count(key, 'hits');
        this.#refresh(key, full, loader, options, ttlMs, read.generation);
        return entry.value;
      }
    }
    this.#stats.count(key, 'misses');
    return this.#singleFlight(full, () => this.#load(key, full, loader, options, ttlMs, read?.generation));
  }

  /** Invalidates keys, patterns and tags (each through the store; failures are reported, not thrown). */
  async invalidate(what: Invalidation): Promise<void> {
    const keys = (what.keys ?? []).map((key) => this.#key(key));
    const patterns = (what.patterns ?? []).map((pattern) => `${this.namespace}:${pattern}`);
    await Promise.all([
      keys.length > 0 ? this.#try('(invalidate)', 'invalidate', () => this.store.invalidate(keys)) : undefined,
      ...patterns.map((pattern) =>
        this.#try('(invalidate)', 'invalidatePattern', () => this.store.invalidatePattern(pattern)),
      ),
      what.tags && what.tags.length > 0
        ? this.#try('(invalidate)', 'invalidateTags', () => this.store.invalidateTags(what.tags as string[]))
        : undefined,
    ]);
  }

  /**
   * Loads `keys` that are not cached yet with `loader(key)` (one call per missing key, in parallel),
   * so the first real requests hit.
   *
   * @example
   * ```ts
   * await cache.warm(['track:1', 'track:2'], (key) => loadTrack(Number(key.split(':')[1])));
   * ```
   */
  async warm<V>(
    keys: readonly string[],
    loader: (key: string) => Promise<V> | V,
    options: WrapOptions<V> = {},
  ): Promise<void> {
    await Promise.all(keys.map((key) => this.wrap(key, () => loader(key), options)));
  }

  stats(): CacheStatsSnapshot {
    return this.#stats.snapshot();
  }

  /** The circuit breaker's state: `closed` while the store is used. */
  get storeState(): 'closed' | 'open' | 'half-open' {
    return this.#breaker.state;
  }

  async #load<V>(
    key: string,
    full: string,
    loader: () => Promise<V> | V,
    options: WrapOptions<V>,
    ttlMs: number,
    generation: number | undefined,
  ): Promise<V> {
    // Tag versions are read BEFORE loading: an invalidation that lands while we load makes our entry stale.
    const tags =
      options.tags && options.tags.length > 0 && generation !== undefined
        ? await this.#try(key, 'tagVersions', () => this.store.tagVersions(options.tags as string[]))
        : undefined;
    const started = performance.now();
    const value = await loader();
    this.#stats.load(key, performance.now() - started);
    if (generation === undefined || (options.condition && !options.condition(value))) {
      return value;
    }
    if (options.tags && options.tags.length > 0 && tags === undefined) {
      return value; // the versions could not be read: storing without them could outlive an invalidation
    }
    const now = Date.now();
    const swr = options.staleWhileRevalidateMs ?? 0;
    const entry: CacheEntry<V> = {
      value,
      expiresAt: now + ttlMs,
      ...(swr > 0 ? { staleUntil: now + ttlMs + swr } : {}),
      ...(tags ? { tags } : {}),
    };
    await this.#try(key, 'set', () => this.store.set(full, entry, { ifGeneration: generation, ttlMs: ttlMs + swr }));
    return value;
  }

  #refresh<V>(
    key: string,
    full: string,
    loader: () => Promise<V> | V,
    options: WrapOptions<V>,
    ttlMs: number,
    generation: number,
  ): void {
    if (this.#refreshing.has(full)) return;
    this.#refreshing.add(full);
    void this.#load(key, full, loader, options, ttlMs, generation)
      .catch((error: unknown) => this.#onError(error, 'refresh'))
      .finally(() => this.#refreshing.delete(full));
  }

  #singleFlight<V>(full: string, load: () => Promise<V>): Promise<V> {
    const running = this.#inflight.get(full);
    if (running) return running as Promise<V>;
    const promise = load().finally(() => this.#inflight.delete(full));
    this.#inflight.set(full, promise);
    return promise;
  }

  /** Runs a store operation; a failure (or an open circuit) gives `undefined`, never an exception. */
  async #try<R>(key: string, operation: string, fn: () => Promise<R>): Promise<R | undefined> {
    if (!this.#breaker.allows()) return undefined;
    try {
      const result = await fn();
      this.#breaker.succeeded();
      return result;
    } catch (error) {
      this.#breaker.failed();
      this.#stats.count(key, 'errors');
      this.#onError(error, operation);
      return undefined;
    }
  }

  #key(key: string): string {
    if (typeof key !== 'string' || key === '') {
      throw new CacheKeyError(String(key), 'must be a non-empty string');
    }
    if (/[*?[\]]/.test(key)) {
      throw new CacheKeyError(key, 'holds a glob character (*, ?, [ or ]): it would widen invalidation patterns');
    }
    return `${this.namespace}:${key}`;
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(name, 'a positive number of milliseconds', value);
  }
  return value;
}
