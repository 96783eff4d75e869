import { InvalidArgumentError } from '@stratum/core';
import { LRUCache } from 'lru-cache';
import { CacheValueError } from '../errors/cache-value-error.js';
import { cloneValue } from '../serialization/clone-value.js';
import { walkValue } from '../serialization/walk-value.js';
import { ttlMs } from '../ttl-ms.js';
import type { CacheEntry, CacheRead, CacheStore, CacheStoreStats, CacheWriteOptions } from './cache-store.js';

/** Options of {@link MemoryStore}; every bound is a positive integer. */
export interface MemoryStoreOptions {
  /**
   * The store's name in stats and logs.
   * @default 'memory'
   */
  readonly name?: string;
  /**
   * At most this many entries; the least recently used goes first.
   * @default 10_000
   */
  readonly maxEntries?: number;
  /**
   * At most about this many bytes of entries (an estimate, see {@link MemoryStore}); the least recently
   * used go first, and one entry larger than this is rejected with `CacheValueError`.
   * @default 67_108_864 (64 MiB)
   */
  readonly maxBytes?: number;
  /**
   * At most this many per-key generations are remembered (see {@link MemoryStore}).
   * @default 50_000
   */
  readonly maxGenerations?: number;
  /**
   * At most this many tag versions are remembered (same scheme as generations).
   * @default 50_000
   */
  readonly maxTags?: number;
}

/** What the LRU holds per key: the entry (its value a private copy) and when it stops being served. */
interface StoredEntry {
  readonly entry: CacheEntry;
  /** `max(expiresAt, staleUntil)`; `undefined`: until evicted. */
  readonly until: number | undefined;
  /** No object of the value is reached twice: a read copies it without a map of copied objects. */
  readonly tree: boolean;
}

/** Fixed cost per stored entry in the size estimate (the LRU's slot, the entry object, the key). */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * A {@link CacheStore} in process memory, over `lru-cache`: bounded by `maxEntries` and by an estimate
 * of bytes (`maxBytes`), evicting the least recently used entry first; entries past `expiresAt` (or
 * `staleUntil`, if later) read as misses, and lru-cache drops them after `ttlMs` (or at that instant).
 * Keys are full keys — the store adds no namespace.
 *
 * **Copies, not freezes.** Values are kept without serialization, as a private deep copy made on
 * `set` and handed out as a fresh deep copy on every `get`: a caller can mutate what it wrote or what
 * it read without touching the cached value or another caller's copy. Freezing was rejected because
 * `Object.freeze` cannot protect a `Date`, `Map`, `Set` or `Buffer` (their contents stay mutable) and
 * would freeze the caller's own object on write. The copy keeps Date, BigInt, Map, Set, Buffer and
 * typed arrays, RegExp, cycles and shared references — what the Redis codec keeps — and the same
 * values are rejected (`CacheValueError`: functions, symbols, class instances), so switching stores
 * changes nothing a caller sees (except `-0`, which survives here but not msgpack).
 *
 * **Size estimate.** The copy on `set` also estimates the value's bytes (strings 2 per character,
 * 8 per number, byte length of buffers, 32 per object plus its keys; see `walkValue`) plus a fixed
 * {@link ENTRY_OVERHEAD_BYTES} and the key — cheap, since the walk happens anyway; it approximates heap
 * use, not the msgpack size, and is not exact.
 *
 * **Generations and tag versions, bounded.** Per-key generations live in a map of at most
 * `maxGenerations` keys (tag versions: `maxTags`), the least recently bumped dropped first. A key
 * not in the map reads at a *floor* that is always above every dropped generation, so a key's
 * generation never goes back: a writer holding an older generation is refused (at worst a
 * needless refusal — a later miss), never let through to write a stale value. The same floor makes
 * an entry whose tag version was dropped read as a miss. `invalidatePattern` and `clear` raise the
 * floor too, since they cannot name the keys that have no entry but may be loading.
 *
 * **No stampede lock** (the optional {@link CacheStore.lock}): nothing in one process's memory is
 * shared with another process, and within the process the cache's single-flight already runs one load.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@stratum/cache';
 *
 * const store = new MemoryStore({ maxEntries: 5_000, maxBytes: 32 * 1024 * 1024 });
 * const { generation } = await store.get('track:1');
 * await store.set('track:1', { value: { name: 'Hells Bells' }, expiresAt: Date.now() + 60_000 }, { ifGeneration: generation });
 * (await store.get<{ name: string }>('track:1')).entry?.value.name; // 'Hells Bells'
 * ```
 */
export class MemoryStore implements CacheStore {
  /** Answers from process memory: the cache needs no timeout around it. */
  readonly inProcess = true;
  readonly name: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly entries: LRUCache<string, StoredEntry>;
  private readonly generations: BoundedVersions;
  private readonly tags: BoundedVersions;
  private errors = 0;

  constructor(options: MemoryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('MemoryStore options', 'an object', options);
    }
    const name = options.name ?? 'memory';
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('MemoryStore options.name', 'a non-empty string', name);
    }
    this.name = name;
    this.maxEntries = positiveInteger('maxEntries', options.maxEntries, 10_000);
    this.maxBytes = positiveInteger('maxBytes', options.maxBytes, 64 * 1024 * 1024);
    this.generations = new BoundedVersions(positiveInteger('maxGenerations', options.maxGenerations, 50_000));
    this.tags = new BoundedVersions(positiveInteger('maxTags', options.maxTags, 50_000));
    this.entries = new LRUCache<string, StoredEntry>({
      max: this.maxEntries,
      maxSize: this.maxBytes,
      allowStale: false,
      updateAgeOnGet: false,
    });
  }

  async get<V>(key: string): Promise<CacheRead<V>> {
    return this.read<V>(key, Date.now());
  }

  async getMany<V>(keys: readonly string[]): Promise<CacheRead<V>[]> {
    const now = Date.now();
    return keys.map((key) => this.read<V>(key, now));
  }

  async set<V>(key: string, entry: CacheEntry<V>, options?: CacheWriteOptions): Promise<boolean> {
    const prepared = this.prepare(key, entry, options);
    return this.commit(key, prepared, options);
  }

  async setMany<V>(
    entries: readonly { key: string; entry: CacheEntry<V>; options?: CacheWriteOptions }[],
  ): Promise<boolean[]> {
    // Check and copy every value first, so a bad one rejects the call before anything is written.
    const prepared = entries.map(({ key, entry, options }) => this.prepare(key, entry, options));
    return entries.map(({ key, options }, i) => this.commit(key, prepared[i]!, options));
  }

  async invalidate(keys: readonly string[]): Promise<number> {
    let count = 0;
    for (const key of new Set(keys)) {
      if (this.entries.has(key)) count++;
      this.entries.delete(key);
      this.generations.bump(key);
    }
    return count;
  }

  async invalidatePattern(pattern: string): Promise<number> {
    if (typeof pattern !== 'string') {
      throw new InvalidArgumentError('pattern', 'a glob string', pattern);
    }
    const regexp = globToRegExp(pattern);
    const matched = [...this.entries.keys()].filter((key) => regexp.test(key));
    for (const key of matched) this.entries.delete(key);
    const tracked = [...this.generations.keys()].filter((key) => regexp.test(key));
    for (const key of new Set([...matched, ...tracked])) this.generations.bump(key);
    // Keys with neither an entry nor a remembered generation may be loading right now: raise the floor.
    this.generations.raiseFloor();
    return matched.length;
  }

  async tagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    const versions: Record<string, number> = {};
    for (const tag of tags) versions[tag] = this.tags.get(tag);
    return versions;
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    for (const tag of new Set(tags)) this.tags.bump(tag);
  }

  async clear(): Promise<void> {
    this.entries.clear();
    this.generations.bumpAll();
  }

  /** `entries` counts what the LRU holds, including expired entries not yet dropped; `errors` counts rejected writes. */
  stats(): CacheStoreStats {
    return { name: this.name, entries: this.entries.size, errors: this.errors };
  }

  /** Drops every entry. The store stays usable (there are no timers or connections to release). */
  async close(): Promise<void> {
    this.entries.clear();
    this.generations.bumpAll();
  }

  private read<V>(key: string, now: number): CacheRead<V> {
    const generation = this.generations.get(key);
    const stored = this.entries.get(key);
    if (stored === undefined) return { entry: undefined, generation };
    const kept = stored.entry;
    if ((stored.until !== undefined && stored.until <= now) || this.hiddenByTags(kept)) {
      this.entries.delete(key);
      return { entry: undefined, generation };
    }
    // The hit path: one copy of the value, the entry's fields assigned one by one (an object rest
    // `{ value, ...meta }` took V8's slow generic path and cost about as much as the copy).
    const entry: { value: V; expiresAt?: number; staleUntil?: number; tags?: Record<string, number> } = {
      value: cloneValue(kept.value, stored.tree) as V,
    };
    if (kept.expiresAt !== undefined) entry.expiresAt = kept.expiresAt;
    if (kept.staleUntil !== undefined) entry.staleUntil = kept.staleUntil;
    if (kept.tags !== undefined) entry.tags = { ...kept.tags };
    return { entry, generation };
  }

  private hiddenByTags(entry: CacheEntry): boolean {
    const tags = entry.tags;
    if (tags === undefined) return false;
    for (const tag in tags) {
      if (this.tags.get(tag) > (tags[tag] as number)) return true;
    }
    return false;
  }

  private prepare(key: string, entry: CacheEntry, options: CacheWriteOptions | undefined): PreparedEntry {
    if (typeof key !== 'string') throw new InvalidArgumentError('key', 'a string', key);
    if (typeof entry !== 'object' || entry === null) throw new InvalidArgumentError('entry', 'a CacheEntry', entry);
    if (options?.ifGeneration !== undefined && !(Number.isInteger(options.ifGeneration) && options.ifGeneration >= 0)) {
      throw new InvalidArgumentError('ifGeneration', 'a generation returned by get', options.ifGeneration);
    }
    if (options?.ttlMs !== undefined) ttlMs('ttlMs', options.ttlMs);
    let walked: ReturnType<typeof walkValue>;
    try {
      walked = walkValue(entry.value, true);
    } catch (error) {
      this.errors++;
      if (error instanceof CacheValueError) throw error;
      // e.g. a RangeError from a value nested too deeply to walk
      throw new CacheValueError(`Cannot cache the value of ${JSON.stringify(key)}: ${String(error)}.`, {
        cause: error,
      });
    }
    const size = walked.bytes + ENTRY_OVERHEAD_BYTES + key.length * 2;
    if (size > this.maxBytes) {
      this.errors++;
      throw new CacheValueError(
        `Cannot cache the value of ${JSON.stringify(key)}: it takes about ${size} bytes, over the memory store's ` +
          `maxBytes of ${this.maxBytes} bytes.`,
        { bytes: size, maxBytes: this.maxBytes },
      );
    }
    const copy: CacheEntry = { value: walked.value };
    if (entry.expiresAt !== undefined) (copy as { expiresAt: number }).expiresAt = entry.expiresAt;
    if (entry.staleUntil !== undefined) (copy as { staleUntil: number }).staleUntil = entry.staleUntil;
    if (entry.tags !== undefined) (copy as { tags: Record<string, number> }).tags = { ...entry.tags };
    const until = latest(entry.expiresAt, entry.staleUntil);
    return { stored: { entry: copy, until, tree: !walked.shared }, size };
  }

  private commit(key: string, prepared: PreparedEntry, options: CacheWriteOptions | undefined): boolean {
    if (options?.ifGeneration !== undefined && options.ifGeneration !== this.generations.get(key)) return false;
    const now = Date.now();
    const { until } = prepared.stored;
    const ttl = options?.ttlMs ?? (until === undefined ? undefined : until - now);
    if ((until !== undefined && until <= now) || (ttl !== undefined && ttl <= 0)) {
      // Already past serving: writing it means only that the older entry is gone.
      this.entries.delete(key);
      return true;
    }
    this.entries.set(key, prepared.stored, {
      size: prepared.size,
      ...(ttl === undefined ? {} : { ttl: Math.ceil(ttl) }),
    });
    return true;
  }
}

interface PreparedEntry {
  readonly stored: StoredEntry;
  readonly size: number;
}

/**
 * Counters per key (generations, tag versions) kept for at most `max` keys, least recently bumped
 * dropped first. A key not remembered reads at `floor`, which is kept above every dropped counter,
 * so a key's counter never decreases — dropping one can only make a read look newer, never older.
 */
class BoundedVersions {
  private readonly versions = new Map<string, number>();
  private floor = 0;

  constructor(private readonly max: number) {}

  get(key: string): number {
    return this.versions.get(key) ?? this.floor;
  }

  keys(): IterableIterator<string> {
    return this.versions.keys();
  }

  bump(key: string): number {
    const next = this.get(key) + 1;
    this.versions.delete(key);
    this.versions.set(key, next);
    while (this.versions.size > this.max) {
      const [oldest, version] = this.versions.entries().next().value as [string, number];
      this.versions.delete(oldest);
      this.floor = Math.max(this.floor, version + 1);
    }
    return next;
  }

  /** Every key not remembered moves to a new, higher counter. */
  raiseFloor(): void {
    this.floor++;
  }

  /** Every key, remembered or not, moves to a counter above any it had. */
  bumpAll(): void {
    let highest = this.floor;
    for (const version of this.versions.values()) highest = Math.max(highest, version);
    this.versions.clear();
    this.floor = highest + 1;
  }
}

/** `*` any run of characters, `?` exactly one; every other character is literal. */
function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`MemoryStore options.${option}`, 'a positive integer', value);
  }
  return value;
}
