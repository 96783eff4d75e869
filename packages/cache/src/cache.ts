import { InvalidArgumentError, StratumError } from '@stratum/core';
import { CacheEpoch, EPOCH_TAG_PREFIX } from './cache-epoch.js';
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
  /**
   * Told about every store failure (the call itself falls through to the source). `operation` is the
   * store method (`get`, `set`, `tagVersions`, `invalidate`, `invalidatePattern`, `invalidateTags`) or
   * `epoch` (the bump owed after a lost invalidation). An exception it throws is ignored. @default no-op
   */
  onError?: (error: unknown, operation: string) => void;
  /**
   * Longest one store operation may take, in ms: past it the call stops waiting (the operation counts
   * as failed, a {@link CacheStoreTimeoutError}) and falls through to the source. This is what keeps a
   * dead Redis from blocking callers while ioredis queues commands and reconnects. @default 200
   */
  operationTimeoutMs?: number;
}

/**
 * A store operation took longer than {@link CacheOptions.operationTimeoutMs}: the cache stopped
 * waiting (it is handed to `onError`, never thrown to a caller). The operation itself may still
 * complete later — e.g. from ioredis' offline queue once Redis is back.
 *
 * @example
 * ```ts
 * const cache = new Cache({ store, namespace: 'app', onError: (error) => {
 *   if (error instanceof CacheStoreTimeoutError) metrics.increment('cache.timeout', { operation: error.operation });
 * } });
 * ```
 */
export class CacheStoreTimeoutError extends StratumError {
  static override readonly code: string = 'E_CACHE_STORE_TIMEOUT';
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(store: string, operation: string, timeoutMs: number) {
    super(`Cache store "${store}" did not answer ${operation} within ${timeoutMs} ms.`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
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
 * key in this process run the source once; a call never shares a load that began reading the source
 * before the call did — it waits for it and reads again), stale-while-revalidate, versioned tags, and no stale
 * write-back (a value loaded before an invalidation is never stored after it).
 *
 * **A failing store never fails a call.** Every store operation is bounded by `operationTimeoutMs`
 * (default 200 ms); a failure or timeout turns the read into a miss that falls through to the
 * source, and is counted (`stats().errors`) and reported (`onError`). After `breaker.failureThreshold`
 * failures in a row a circuit breaker stops calling the store; after `breaker.cooldownMs` it lets one
 * probe through, and the first success closes it again — recovery needs no restart.
 *
 * **An invalidation lost in an outage never becomes a stale read.** Every entry carries the
 * namespace's *epoch* (a reserved store tag, `(epoch):<namespace>`); an invalidation that fails or is
 * skipped by the open circuit makes this cache owe an epoch bump, which it pays before its next store
 * operation of any kind (and in the background every `cooldownMs`), so every entry written before
 * it reads as a miss — in every process, since the store checks the epoch on each read. See the
 * comment block "Outages and the epoch" in the source for the exact guarantee and its window.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 *
 * const cache = new Cache({
 *   store: new RedisStore({ client: new Redis(url), namespace: 'app:cache' }),
 *   namespace: 'app',
 *   operationTimeoutMs: 150,
 *   breaker: { failureThreshold: 5, cooldownMs: 1000 },
 *   onError: (error, operation) => log.warn({ error, operation }, 'cache store failed'),
 * });
 * const track = await cache.wrap('track:42', () => em.fork().findOne(Track, 42), { ttlMs: 30_000, tags: ['album:1'] });
 * await cache.invalidate({ tags: ['album:1'] }); // never throws; if Redis is down, the epoch is bumped once it is back
 * ```
 */
// ── Outages and the epoch ────────────────────────────────────────────────────────────────────────
//
// Problem. `invalidate()` during an outage cannot reach the store, so an entry written before the
// outage survives it (Redis restarts with its data, or only this process was cut off) and would be
// served after recovery: a stale read.
//
// Chosen design: an epoch (a namespace-wide tag). Every entry this cache writes carries, next to its
// own tags, the version of the tag `(epoch):<namespace>` read BEFORE the value was loaded. The store
// already hides an entry any of whose tags has a newer version (RedisStore: one MGET of the tag
// versions per read), so bumping the epoch (`invalidateTags`, an INCR) drops every entry of the
// namespace for every process at once — nothing is cached per process, so there is no check
// interval and no process can keep serving an old epoch. When an invalidation is lost (it failed, timed
// out, or the open circuit skipped it), this cache owes a bump (`CacheEpoch.markLost`); while it does,
// EVERY store operation first bumps the epoch, and fails (falls through to the source) if the bump
// fails. A background timer (unref'd) retries every `breaker.cooldownMs`, so an idle process pays its
// debt soon after the store is back. A load that overlapped a lost invalidation in this process is
// not written back, even if the epoch counter went back to 0 with a Redis that lost its data.
//
// Guarantee. After `invalidate()` returns in process P — applied or lost — no read in P returns a
// value that the invalidation covered: P reads the store only after its bump landed. Any other
// process Q stops seeing such a value at the instant P's bump is applied in the store. The window is
// therefore for OTHER processes only: from the lost invalidation until P's bump lands, i.e. while the
// store is unreachable for P but not for Q (a partition), plus, after the store is back for P, until
// P's next store call or its next background retry (at most `cooldownMs` + `operationTimeoutMs`).
// If P dies owing a bump, its lost invalidations are lost for good; entries still expire with their
// TTL. Cost: one bump drops the whole namespace (every process reloads from the source once), and
// every hit reads the epoch's version (RedisStore: the tag MGET it already does for tagged entries).
//
// Rejected: replaying the lost invalidations on recovery. It needs an unbounded in-memory log
// (patterns replay as full SCANs), dies with the process, and tells nobody else: a process with its
// own in-memory tier (L1) would keep serving what the replay removed from Redis, and another process
// reading between recovery and the end of the replay gets the old value — the same window as the
// epoch, for far more work. The epoch costs one counter and one bit of state.
//
// Redis data loss. A Redis that restarts empty (no persistence) resets generations and tag versions,
// the epoch included. Entries are gone with it, so nothing stale survives; the one gap is a load in
// ANOTHER process that started before the crash and writes after it (its generation and epoch from
// before the reset can match the new counters). Closing it needs the store to detect a reset (e.g.
// an incarnation id checked by the write script): that belongs to the store, not this layer.
//
// ioredis. By default ioredis queues commands while disconnected (offline queue) and retries each up
// to 20 times: without a bound a call would hang for the whole reconnect. `operationTimeoutMs` bounds
// every call whatever the client options; a command that timed out may still run after reconnect
// (harmless: a late write carries the old epoch, a late invalidation only invalidates). Clients built
// with `enableOfflineQueue: false` fail fast instead and keep no backlog during an outage.
export class Cache {
  readonly store: CacheStore;
  readonly namespace: string;
  readonly #defaultTtlMs: number;
  readonly #stats = new CacheStats();
  readonly #breaker: CircuitBreaker;
  readonly #onError: (error: unknown, operation: string) => void;
  readonly #operationTimeoutMs: number;
  readonly #epoch: CacheEpoch;
  /** Every entry carries the epoch tag: the store may fetch its version with the entry (one round trip). */
  readonly #readOptions: { readonly prefetchTags: readonly string[] };
  #epochRetry: ReturnType<typeof setTimeout> | undefined;
  readonly #inflight = new Map<string, Flight>();
  /** Orders wrap() calls and loader starts: a call may join a load only if it started after the call. */
  #clock = 0;
  readonly #refreshing = new Set<string>();

  constructor(options: CacheOptions) {
    if (typeof options.namespace !== 'string' || options.namespace === '' || /[*?[\]{}]/.test(options.namespace)) {
      throw new InvalidArgumentError('namespace', 'a non-empty string without *, ?, [, ], { or }', options.namespace);
    }
    this.store = options.store;
    this.namespace = options.namespace;
    this.#defaultTtlMs = positive('defaultTtlMs', options.defaultTtlMs ?? 60_000);
    this.#operationTimeoutMs = positive('operationTimeoutMs', options.operationTimeoutMs ?? 200);
    this.#breaker = new CircuitBreaker(options.breaker);
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new InvalidArgumentError('onError', 'a function', options.onError);
    }
    this.#onError = options.onError ?? (() => {});
    this.#epoch = new CacheEpoch(options.namespace);
    this.#readOptions = { prefetchTags: [this.#epoch.tag] };
  }

  /**
   * The cached value of `key`, else `loader()`'s (stored for `ttlMs`). Concurrent misses of one key
   * share one `loader()` call; an expired entry within `staleWhileRevalidateMs` is served while one
   * refresh runs in the background.
   */
  async wrap<V>(key: string, loader: () => Promise<V> | V, options: WrapOptions<V> = {}): Promise<V> {
    const full = this.#key(key);
    const ttlMs = positive('ttlMs', options.ttlMs ?? this.#defaultTtlMs);
    checkTags(options.tags);
    const calledAt = ++this.#clock;
    for (;;) {
      const read = await this.#try(key, 'get', () => this.store.get<V>(full, this.#readOptions));
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
          this.#refresh(key, full, loader, options, ttlMs, read.generation, entry.tags);
          return entry.value;
        }
      }
      // Single-flight, without serving the past: a load whose source read began before this call may
      // predate a write (and its invalidation) that returned before this call — joining it could
      // return that write's old value. Such a load is waited for, then the store is read again.
      const running = this.#inflight.get(full);
      if (running && running.loaderStartedAt !== undefined && running.loaderStartedAt < calledAt) {
        await running.promise.then(noop, noop);
        continue;
      }
      this.#stats.count(key, 'misses');
      if (running) return running.promise as Promise<V>;
      return this.#fly(full, (started) =>
        this.#load(key, full, loader, options, ttlMs, read?.generation, undefined, started),
      );
    }
  }

  /**
   * Invalidates keys, patterns and tags (each through the store). Never throws for a store failure:
   * the failure is reported (`onError`, `stats().errors`) and the invalidation counts as lost, so the
   * cache bumps its epoch (dropping every entry of the namespace, in every process) before it uses
   * the store again.
   *
   * @example
   * ```ts
   * await cache.invalidate({ keys: ['track:42'], patterns: ['search:*'], tags: ['album:1'] });
   * ```
   */
  async invalidate(what: Invalidation): Promise<void> {
    checkTags(what.tags);
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

  /**
   * `true` while an invalidation was lost (the store failed or the circuit was open) and the epoch
   * bump that covers it has not landed yet; other processes may serve the old value until then.
   *
   * @example
   * ```ts
   * await cache.invalidate({ keys: ['track:42'] }); // Redis is down
   * cache.epochBumpPending; // true, until the store answers again
   * ```
   */
  get epochBumpPending(): boolean {
    return this.#epoch.owed;
  }

  async #load<V>(
    key: string,
    full: string,
    loader: () => Promise<V> | V,
    options: WrapOptions<V>,
    ttlMs: number,
    generation: number | undefined,
    known?: Readonly<Record<string, number>>,
    loaderStarting?: () => void,
  ): Promise<V> {
    // Tag versions — the epoch's included — are read BEFORE loading: an invalidation (or an epoch
    // bump) that lands while we load makes our entry stale. A refresh reuses the versions of the entry
    // it just read when they cover every tag: the store served it, so they were current at that read.
    const lostBefore = this.#epoch.lost;
    const wanted = [this.#epoch.tag, ...(options.tags ?? [])];
    const tags =
      generation === undefined
        ? undefined
        : (pick(known, wanted) ?? (await this.#try(key, 'tagVersions', () => this.store.tagVersions(wanted))));
    loaderStarting?.();
    const started = performance.now();
    const value = await loader();
    this.#stats.load(key, performance.now() - started);
    if (generation === undefined || (options.condition && !options.condition(value))) {
      return value;
    }
    if (tags === undefined) {
      return value; // the versions could not be read: storing without them could outlive an invalidation
    }
    if (this.#epoch.lost !== lostBefore) {
      return value; // an invalidation was lost while we loaded: the value may be one it covered
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
    known: Readonly<Record<string, number>> | undefined,
  ): void {
    if (this.#refreshing.has(full)) return;
    this.#refreshing.add(full);
    void this.#load(key, full, loader, options, ttlMs, generation, known)
      .catch((error: unknown) => this.#onError(error, 'refresh'))
      .finally(() => this.#refreshing.delete(full));
  }

  /** Starts the one load of `full` that later misses may join (see {@link wrap}). */
  #fly<V>(full: string, load: (loaderStarting: () => void) => Promise<V>): Promise<V> {
    const flight: Flight = { promise: Promise.resolve(), loaderStartedAt: undefined };
    this.#inflight.set(full, flight);
    const promise = load(() => {
      flight.loaderStartedAt = ++this.#clock;
    }).finally(() => {
      if (this.#inflight.get(full) === flight) this.#inflight.delete(full);
    });
    flight.promise = promise;
    return promise;
  }

  /**
   * Runs a store operation within `operationTimeoutMs`, after the epoch bump if one is owed; a
   * failure, a timeout or an open circuit gives `undefined`, never an exception. An invalidation
   * that does not run to success is recorded as lost (an epoch bump becomes owed).
   */
  async #try<R>(key: string, operation: string, fn: () => Promise<R>): Promise<R | undefined> {
    const invalidation = INVALIDATIONS.has(operation);
    if (!this.#breaker.allows()) {
      if (invalidation) this.#lose();
      return undefined;
    }
    let stage = operation;
    try {
      if (this.#epoch.owed) {
        stage = 'epoch';
        await this.#epoch.settle(() =>
          this.#timed('invalidateTags', () => this.store.invalidateTags([this.#epoch.tag])),
        );
        stage = operation;
      }
      const result = await this.#timed(operation, fn);
      this.#breaker.succeeded();
      return result;
    } catch (error) {
      this.#breaker.failed();
      this.#stats.count(key, 'errors');
      if (invalidation) this.#lose();
      try {
        this.#onError(error, stage);
      } catch {
        // a throwing onError must not turn a store failure into a failed call
      }
      return undefined;
    }
  }

  /** `fn()`, or a {@link CacheStoreTimeoutError} after `operationTimeoutMs` (a late outcome is dropped). */
  #timed<R>(operation: string, fn: () => Promise<R>): Promise<R> {
    if (this.store.inProcess === true) {
      return fn(); // nothing to wait for: an in-process store answers or throws, it cannot hang
    }
    const ms = this.#operationTimeoutMs;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CacheStoreTimeoutError(this.store.name, operation, ms)), ms);
      new Promise<R>((run) => run(fn())).then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Records a lost invalidation and makes sure the epoch bump is retried even if no call comes. */
  #lose(): void {
    this.#epoch.markLost();
    this.#retryEpochLater();
  }

  #retryEpochLater(): void {
    if (this.#epochRetry !== undefined) return;
    this.#epochRetry = setTimeout(() => {
      this.#epochRetry = undefined;
      if (!this.#epoch.owed) return;
      // A no-op store operation: #try pays the owed bump first (as the breaker's probe if it is open).
      void this.#try('(epoch)', 'epoch', async () => undefined).then(() => {
        if (this.#epoch.owed) this.#retryEpochLater();
      });
    }, this.#breaker.cooldownMs);
    this.#epochRetry.unref?.();
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

/** One running load of a key: its result, and when (on {@link Cache}'s clock) it began reading the source. */
interface Flight {
  promise: Promise<unknown>;
  loaderStartedAt: number | undefined;
}

const noop = (): void => {};

/** Store operations that invalidate: when one does not succeed, the invalidation is lost. */
const INVALIDATIONS = new Set(['invalidate', 'invalidatePattern', 'invalidateTags']);

/** The versions of exactly `tags` from `versions`, or `undefined` if one of them is missing. */
function pick(
  versions: Readonly<Record<string, number>> | undefined,
  tags: readonly string[],
): Record<string, number> | undefined {
  if (versions === undefined) return undefined;
  const picked: Record<string, number> = {};
  for (const tag of tags) {
    const version = versions[tag];
    if (version === undefined) return undefined;
    picked[tag] = version;
  }
  return picked;
}

/** Refuses tags in the epoch's reserved space: a caller must not bump or pin the epoch. */
function checkTags(tags: readonly string[] | undefined): void {
  if (tags === undefined) return;
  if (!Array.isArray(tags)) throw new InvalidArgumentError('tags', 'an array of strings', tags);
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.startsWith(EPOCH_TAG_PREFIX)) {
      throw new InvalidArgumentError('tags', `strings not starting with "${EPOCH_TAG_PREFIX}" (reserved)`, tag);
    }
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(name, 'a positive number of milliseconds', value);
  }
  return value;
}
