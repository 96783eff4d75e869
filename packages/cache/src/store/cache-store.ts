/**
 * One cached value as a store keeps it: the value, when it expires, until when it may still be
 * served stale, and the versions of its tags when it was written.
 */
export interface CacheEntry<V = unknown> {
  readonly value: V;
  /** Epoch milliseconds after which the entry is no longer fresh; `undefined`: never. */
  readonly expiresAt?: number;
  /** Epoch milliseconds until which an expired entry may be served while one refresh runs (stale-while-revalidate). */
  readonly staleUntil?: number;
  /** The version of each of its tags when the value was read from the source (see {@link CacheStore.tagVersions}). */
  readonly tags?: Readonly<Record<string, number>>;
}

/**
 * What a read of one key finds: the entry, and the key's generation. The generation counts the
 * invalidations of the key; a writer that loaded from the source passes the generation it saw
 * before loading to {@link CacheStore.set}, which refuses to write if the key was invalidated
 * since — so an old value can never be written back over an invalidation ("no stale reads").
 */
export interface CacheRead<V = unknown> {
  readonly entry: CacheEntry<V> | undefined;
  readonly generation: number;
}

/** Options of {@link CacheStore.set}. */
export interface CacheWriteOptions {
  /**
   * Write only if the key's generation is still this one (what {@link CacheStore.get} returned before
   * the value was loaded); otherwise skip the write and return `false`.
   */
  readonly ifGeneration?: number;
  /** How long the store keeps the entry, in ms (at least until `staleUntil`); `undefined`: until evicted. */
  readonly ttlMs?: number;
}

/** Options of {@link CacheStore.get}. */
export interface CacheReadOptions {
  /**
   * Tags whose current versions the store may fetch together with the entry (one round trip on
   * Redis instead of two), because the caller knows the entry carries them (e.g. the cache's epoch).
   * A hint only: the result is the same without it.
   */
  readonly prefetchTags?: readonly string[];
}

/** Counters every store keeps (the cache layer adds hits, misses and load times). */
export interface CacheStoreStats {
  readonly name: string;
  /** Entries held, when the store knows cheaply (memory store); `undefined` otherwise. */
  readonly entries?: number;
  /** Operations that failed (e.g. Redis unreachable). */
  readonly errors: number;
}

/**
 * The contract every Stratum cache store fulfils — memory, Redis, two-tier — checked by one shared
 * contract test suite. Keys are full keys (namespace included); values are any structured-cloneable
 * data (Date, BigInt, Map, Set, Buffer survive). All methods are async and may reject when the
 * backend fails; the cache layer above turns failures into misses.
 *
 * Invalidation is by generation (per key) and by version (per tag), never by deleting alone: a
 * reader that loaded before an invalidation cannot write its value after it (see {@link CacheRead}).
 */
export interface CacheStore {
  readonly name: string;
  /**
   * `true` for a store that answers from process memory (it cannot hang on a network): the cache
   * then skips its per-operation timeout, a timer per call.
   * @default false (a remote store)
   */
  readonly inProcess?: boolean;
  /**
   * The entry of `key` — if it is fresh or within `staleUntil`, and none of its tags was invalidated
   * after the versions it was written with — and the key's generation.
   */
  get<V>(key: string, options?: CacheReadOptions): Promise<CacheRead<V>>;
  /** {@link get} for many keys at once (one round trip, pipelined on Redis). */
  getMany<V>(keys: readonly string[]): Promise<CacheRead<V>[]>;
  /** Stores `entry` under `key`; `false` when `ifGeneration` no longer matches (nothing written). */
  set<V>(key: string, entry: CacheEntry<V>, options?: CacheWriteOptions): Promise<boolean>;
  /** {@link set} for many keys (pipelined on Redis); one boolean per key. */
  setMany<V>(
    entries: readonly { key: string; entry: CacheEntry<V>; options?: CacheWriteOptions }[],
  ): Promise<boolean[]>;
  /** Invalidates keys: drops their entries and bumps their generations. Returns how many had an entry. */
  invalidate(keys: readonly string[]): Promise<number>;
  /**
   * Invalidates every key matching a glob pattern (`*` any run of characters, `?` one character),
   * scanning in batches (Redis: SCAN, never KEYS; on a Cluster, every master). Returns how many.
   */
  invalidatePattern(pattern: string): Promise<number>;
  /** The current version of each tag (0 for a tag never invalidated). */
  tagVersions(tags: readonly string[]): Promise<Record<string, number>>;
  /** Invalidates tags: bumps their versions, so entries written with an older version read as misses. */
  invalidateTags(tags: readonly string[]): Promise<void>;
  /** Drops every entry of this store's namespace. */
  clear(): Promise<void>;
  stats(): CacheStoreStats;
  /** Releases connections and timers (a store given an external client leaves it open). */
  close(): Promise<void>;
  /**
   * OPTIONAL — stampede protection across processes. Takes the lock of `key` for `ttlMs` if nobody
   * holds it (Redis: `SET NX PX` on a key in the entry's slot) and returns its token, else
   * `undefined`. The lock is advisory and separate from the entry: `get`, `set`, `invalidate` and
   * `clear` neither take nor release it; it is released by {@link unlock} with its token, or expires
   * after `ttlMs` (a holder that died never blocks the others for longer). A store without it works
   * as before: the cache then protects against stampedes in one process only.
   *
   * @example
   * ```ts
   * const token = await store.lock?.('app:track:42', 5_000);
   * if (token !== undefined) {
   *   try { await store.set('app:track:42', { value: await loadTrack(42) }); }
   *   finally { await store.unlock?.('app:track:42', token); }
   * }
   * ```
   */
  lock?(key: string, ttlMs: number): Promise<string | undefined>;
  /**
   * OPTIONAL (with {@link lock}). Releases the lock of `key` if `token` still holds it; does nothing
   * otherwise (the lock expired and someone else took it, or it was never held) — atomically (Redis:
   * a Lua compare-and-delete), so a slow holder can never release its successor's lock.
   */
  unlock?(key: string, token: string): Promise<void>;
  /**
   * OPTIONAL — fast recovery. An object that identifies the store's live connection (one per
   * connection: RedisStore gives the ioredis socket), or `undefined` while it has none. When the
   * circuit breaker is open and this is a connection other than the one the last failure happened
   * on, the cache probes the store at once instead of waiting out `breaker.cooldownMs`.
   *
   * @example
   * ```ts
   * store.connection?.() === undefined; // true while Redis is unreachable
   * ```
   */
  connection?(): object | undefined;
  /**
   * OPTIONAL (with {@link connection}) — called, often, while the store has no connection: check
   * cheaply whether its server accepts connections again and, if it does, reconnect now rather than
   * at the client's next retry (ioredis backs off to 2 s between attempts by default).
   *
   * @example
   * ```ts
   * if (store.connection?.() === undefined) store.reconnect?.();
   * ```
   */
  reconnect?(): void;
}
