import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '@stratum/core';
import { CacheEpoch, EPOCH_TAG_PREFIX } from './cache-epoch.js';
import { CacheStats, type CacheStatsSnapshot } from './cache-stats.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { CacheKeyError } from './errors/cache-key-error.js';
import { CacheStoreTimeoutError } from './errors/cache-store-timeout-error.js';
import { OperationDeadlines } from './operation-deadlines.js';
import type { CacheEntry, CacheRead, CacheStore } from './store/cache-store.js';
import { ttlMs as checkTtl, MAX_TTL_MS } from './ttl-ms.js';

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
   * store method (`get`, `set`, `tagVersions`, `invalidate`, `invalidatePattern`, `invalidateTags`,
   * `lock`, `unlock`), `epoch` (the bump owed after a lost invalidation) or `refresh` (a background
   * stale-while-revalidate load that threw). An exception it throws is ignored. @default no-op
   */
  onError?: (error: unknown, operation: string) => void;
  /**
   * Longest one store operation may take, in ms: past it the call stops waiting (the operation counts
   * as failed, a {@link CacheStoreTimeoutError}) and falls through to the source. This is what keeps a
   * dead Redis from blocking callers while ioredis queues commands and reconnects. @default 200
   */
  operationTimeoutMs?: number;
  /**
   * Stampedes across processes, on a store with {@link CacheStore.lock} (Redis, two-tier): how long
   * the lock a process takes to load a missing key lasts, in ms. Past it another process may take
   * over (so a load slower than this can run twice: at most `ceil(load time / lockTtlMs)` loads) — and a
   * holder that died blocks nobody for longer. Make it longer than your slowest load. @default 5000
   */
  lockTtlMs?: number;
  /**
   * Stampedes across processes: how long a call whose key another process is loading waits for that
   * value (polling the store every 10–25 ms) before it loads from the source itself, in ms. The call
   * never fails for it. @default 2000
   *
   * @example
   * ```ts
   * new Cache({ store, namespace: 'app', lockTtlMs: 10_000, lockWaitMs: 3_000 }); // loads up to ~8 s
   * ```
   */
  lockWaitMs?: number;
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
 * **Stampedes across processes.** On a store with a lock ({@link CacheStore.lock}: Redis, two-tier),
 * a miss takes the key's lock (`lockTtlMs`) before loading, so concurrent misses in many processes
 * run the source about once: the others wait for the value to appear in the store (up to
 * `lockWaitMs`, then they load themselves), and a stale-while-revalidate refresh runs in one process
 * while every process serves the stale value. See "Stampedes across processes" in the source.
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
// ── Stampedes across processes ───────────────────────────────────────────────────────────────────
//
// On a miss, after the in-process single-flight (one flight per key per process), the flight tries
// the store's lock (`lock:<key>`, SET NX PX `lockTtlMs`):
// - taken: it reads the store once more (a process may have written the value between our read and
//   our lock), else loads, writes (conditional on the generation of that last read, as always) and
//   unlocks (compare-and-delete by token). The unlock is awaited before the flight ends, so the next
//   flight of this process never finds its own lock.
// - held by another process: it polls the store (10 ms, backing off to 25 ms) and tries the lock
//   again each round. An entry that appears is returned (counted as a hit: the source was not called);
//   a lock that was released without a value (the holder's load threw, its write was refused, or the
//   condition refused it) or expired (the holder died or is slower than `lockTtlMs`) is taken by one
//   waiter, which loads. After `lockWaitMs` without either, the waiter loads anyway: callers never
//   fail and never hang for the lock.
// - the lock call failed (error, timeout, open circuit): it loads, as without a lock. A store that
//   failed the first read is not locked at all. Every lock, unlock and poll goes through #try (epoch,
//   timeout, breaker), like any store call.
// A stale entry is served before any of this (it is never "missing"); its background refresh also
// takes the lock — and is skipped if another process holds it (that process is refreshing), or if
// the store, read again under the lock, already holds a fresh value.
//
// Bound. The lock is a lease: a load slower than `lockTtlMs` lets a second process take over, and
// so on, until the first value lands in the store (waiters read before they lock): at most
// ceil(load / lockTtlMs) loads per stampede, plus one per waiter whose `lockWaitMs` ran out first.
//
// Why a waiter may return what it polls, without checking generations. A poll is an ordinary store
// read that began after the call did, and the store serves an entry only if its write was
// conditional on the generation its loader read BEFORE reading the source, and no invalidation (key,
// tag or epoch) came after that read: an invalidation that returned before the call had bumped the
// generation (or version) before the entry's loader read it — otherwise that write was refused, or
// the entry was deleted or hidden. So the polled value was read from the source after every write
// whose invalidation returned before the call: the same argument as for any hit. Requiring the
// generation not to move since the waiter's first read would only refuse values loaded after an
// invalidation during the wait — newer, not older — and cost a load. The one trap is in-process:
// callers of this process join the flight (single-flight) while it waits, and a poll that was sent
// before a caller's invalidation returned may answer after that caller joined. So each poll (and the
// read under the lock) counts as the flight "starting to read the source" (`loaderStartedAt`), and a
// caller that began after it waits for the flight and reads again instead of joining — the rule the
// loader itself follows.
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
  readonly #deadlines: OperationDeadlines;
  readonly #lockTtlMs: number;
  readonly #lockWaitMs: number;
  readonly #epoch: CacheEpoch;
  /** Every entry carries the epoch tag: the store may fetch its version with the entry (one round trip). */
  readonly #readOptions: { readonly prefetchTags: readonly string[] };
  #epochRetry: ReturnType<typeof setTimeout> | undefined;
  /** The store connection the last failure happened on (see `CacheStore.connection`). */
  #failedOn: object | undefined;
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
    this.#defaultTtlMs = checkTtl('defaultTtlMs', options.defaultTtlMs ?? 60_000);
    this.#deadlines = new OperationDeadlines(positive('operationTimeoutMs', options.operationTimeoutMs ?? 200));
    this.#lockTtlMs = checkTtl('lockTtlMs', options.lockTtlMs ?? 5000);
    this.#lockWaitMs = positive('lockWaitMs', options.lockWaitMs ?? 2000);
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
   * share one `loader()` call — across processes too, on a store with a lock (see `lockTtlMs`,
   * `lockWaitMs`); an expired entry within `staleWhileRevalidateMs` is served while one refresh runs
   * in the background.
   *
   * @example
   * ```ts
   * const track = await cache.wrap('track:42', () => loadTrack(42), { ttlMs: 30_000, staleWhileRevalidateMs: 5_000 });
   * ```
   */
  async wrap<V>(key: string, loader: () => Promise<V> | V, options: WrapOptions<V> = {}): Promise<V> {
    const full = this.#key(key);
    const ttlMs = options.ttlMs === undefined ? this.#defaultTtlMs : checkTtl('ttlMs', options.ttlMs);
    const swr = options.staleWhileRevalidateMs;
    if (swr !== undefined && swr !== 0 && checkTtl('staleWhileRevalidateMs', swr) + ttlMs > MAX_TTL_MS) {
      throw new InvalidArgumentError('ttlMs + staleWhileRevalidateMs', `at most ${MAX_TTL_MS} ms`, ttlMs + swr);
    }
    checkTags(options.tags);
    const calledAt = ++this.#clock;
    for (;;) {
      const read = await this.#try(key, 'get', () => this.store.get<V>(full, this.#readOptions));
      const served = this.#serve(key, full, read, loader, options, ttlMs);
      if (served !== undefined) {
        this.#stats.count(key, 'hits');
        return served.value;
      }
      // Single-flight, without serving the past: a load whose source read began before this call may
      // predate a write (and its invalidation) that returned before this call — joining it could
      // return that write's old value. Such a load is waited for, then the store is read again.
      const running = this.#inflight.get(full);
      if (running && running.loaderStartedAt !== undefined && running.loaderStartedAt < calledAt) {
        await running.promise.then(noop, noop);
        continue;
      }
      const flight =
        running ?? this.#fly(full, (started) => this.#miss(key, full, loader, options, ttlMs, read, started));
      const outcome = (await flight.promise) as Outcome<V>;
      this.#stats.count(key, outcome.fromStore ? 'hits' : 'misses');
      return outcome.value;
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

  /**
   * The value `read` lets this call serve, if any: a fresh entry, or a stale one within its
   * `staleUntil` (then one refresh starts in the background). Hits are counted by the caller.
   */
  #serve<V>(
    key: string,
    full: string,
    read: CacheRead<V> | undefined,
    loader: () => Promise<V> | V,
    options: WrapOptions<V>,
    ttlMs: number,
  ): { value: V } | undefined {
    const entry = read?.entry;
    if (read === undefined || entry === undefined) return undefined;
    const now = Date.now();
    if (entry.expiresAt === undefined || entry.expiresAt > now) return { value: entry.value };
    if (entry.staleUntil !== undefined && entry.staleUntil > now) {
      this.#stats.count(key, 'staleServed');
      this.#refresh(key, full, loader, options, ttlMs, read.generation, entry.tags);
      return { value: entry.value };
    }
    return undefined;
  }

  /**
   * The flight of a miss (see "Stampedes across processes" above): without a store lock, a load;
   * with one, a load under the lock, or the value another process loaded, or — after `lockWaitMs`, or
   * when the store fails — a load anyway. `read` is the caller's read that missed (`undefined`: the
   * store failed); `started` stamps each read that may produce the flight's value.
   */
  async #miss<V>(
    key: string,
    full: string,
    loader: () => Promise<V> | V,
    options: WrapOptions<V>,
    ttlMs: number,
    read: CacheRead<V> | undefined,
    started: () => void,
  ): Promise<Outcome<V>> {
    const load = async (generation: number | undefined): Promise<Outcome<V>> => ({
      value: await this.#load(key, full, loader, options, ttlMs, generation, undefined, started),
      fromStore: false,
    });
    const store = this.store;
    if (read === undefined || typeof store.lock !== 'function' || typeof store.unlock !== 'function') {
      return load(read?.generation);
    }
    let generation = read.generation;
    const deadline = Date.now() + this.#lockWaitMs;
    for (let round = 0; ; round++) {
      const token = await this.#lock(key, full);
      if (token === null) break; // the lock call failed: load without it
      if (token !== undefined) {
        return this.#underLock(key, full, token, async () => {
          started();
          const again = await this.#try(key, 'get', () => store.get<V>(full, this.#readOptions));
          const entry = again?.entry;
          if (entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > Date.now())) {
            return { value: entry.value, fromStore: true }; // written between our read and our lock
          }
          return load(again?.generation ?? generation);
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) break; // waited long enough: load, never fail
      await sleep(Math.min(left, pollDelayMs(round)));
      started();
      const polled = await this.#try(key, 'get', () => store.get<V>(full, this.#readOptions));
      if (polled === undefined) break; // the store failed: load
      const served = this.#serve(key, full, polled, loader, options, ttlMs);
      if (served !== undefined) return { value: served.value, fromStore: true };
      generation = polled.generation;
    }
    return load(generation);
  }

  /**
   * Takes the store lock of `full`: its token, `undefined` if another process holds it, `null` if
   * the lock call failed (reported like any store failure).
   */
  async #lock(key: string, full: string): Promise<string | undefined | null> {
    const store = this.store;
    const taken = await this.#try(key, 'lock', async () => ({ token: await store.lock?.(full, this.#lockTtlMs) }));
    return taken === undefined ? null : taken.token;
  }

  /** Runs `fn` holding the lock `token` of `full`, and releases it (awaited) however `fn` ends. */
  async #underLock<R>(key: string, full: string, token: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } finally {
      await this.#try(key, 'unlock', async () => this.store.unlock?.(full, token));
    }
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
    void this.#refreshOnce(key, full, loader, options, ttlMs, generation, known)
      .catch((error: unknown) => this.#onError(error, 'refresh'))
      .finally(() => this.#refreshing.delete(full));
  }

  /**
   * One stale-while-revalidate refresh: under the store lock if there is one (skipped while another
   * process holds it, or if the store already has a fresh value), else — no lock, or the lock call
   * failed — as before, a plain load.
   */
  async #refreshOnce<V>(
    key: string,
    full: string,
    loader: () => Promise<V> | V,
    options: WrapOptions<V>,
    ttlMs: number,
    generation: number,
    known: Readonly<Record<string, number>> | undefined,
  ): Promise<void> {
    const store = this.store;
    const token =
      typeof store.lock === 'function' && typeof store.unlock === 'function' ? await this.#lock(key, full) : null;
    if (token === undefined) return; // another process is refreshing it
    if (token === null) {
      await this.#load(key, full, loader, options, ttlMs, generation, known);
      return;
    }
    await this.#underLock(key, full, token, async () => {
      const again = await this.#try(key, 'get', () => store.get<V>(full, this.#readOptions));
      const entry = again?.entry;
      if (entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > Date.now())) return;
      if (again === undefined) await this.#load(key, full, loader, options, ttlMs, generation, known);
      else await this.#load(key, full, loader, options, ttlMs, again.generation, entry?.tags);
    });
  }

  /** Starts the one load of `full` that later misses may join (see {@link wrap}). */
  #fly<V>(full: string, load: (loaderStarting: () => void) => Promise<Outcome<V>>): Flight {
    const flight: Flight = { promise: UNSET, loaderStartedAt: undefined };
    this.#inflight.set(full, flight);
    flight.promise = load(() => {
      flight.loaderStartedAt = ++this.#clock;
    }).finally(() => {
      if (this.#inflight.get(full) === flight) this.#inflight.delete(full);
    });
    return flight;
  }

  /**
   * Runs a store operation within `operationTimeoutMs`, after the epoch bump if one is owed; a
   * failure, a timeout or an open circuit gives `undefined`, never an exception. An invalidation
   * that does not run to success is recorded as lost (an epoch bump becomes owed).
   */
  #try<R>(key: string, operation: string, fn: () => Promise<R>): Promise<R | undefined> {
    if (this.#epoch.owed || this.#breaker.state !== 'closed') return this.#tryGuarded(key, operation, fn);
    // The common case (circuit closed, no epoch bump owed) in one promise step: every hit takes it.
    let running: Promise<R>;
    try {
      running = this.#timed(operation, fn);
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.then(
      (result) => {
        this.#breaker.succeeded();
        return result;
      },
      (error: unknown) => this.#failed(key, operation, operation, error),
    );
  }

  /** {@link #try} with the circuit open or half-open, or an epoch bump owed. */
  async #tryGuarded<R>(key: string, operation: string, fn: () => Promise<R>): Promise<R | undefined> {
    if (!this.#breaker.allows() && !this.#storeCameBack()) {
      if (INVALIDATIONS.has(operation)) this.#lose();
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
      return this.#failed(key, operation, stage, error);
    }
  }

  /** Records a failed store call (`stage`: the operation, or `epoch` for the bump before it): a miss, never a throw. */
  #failed(key: string, operation: string, stage: string, error: unknown): undefined {
    this.#failedOn = this.#connection();
    this.#breaker.failed();
    this.#stats.count(key, 'errors');
    if (INVALIDATIONS.has(operation)) this.#lose();
    try {
      this.#onError(error, stage);
    } catch {
      // a throwing onError must not turn a store failure into a failed call
    }
    return undefined;
  }

  /** `fn()`, or a {@link CacheStoreTimeoutError} after `operationTimeoutMs` (a late outcome is dropped). */
  #timed<R>(operation: string, fn: () => Promise<R>): Promise<R> {
    if (this.store.inProcess === true) {
      return fn(); // nothing to wait for: an in-process store answers or throws, it cannot hang
    }
    const deadlines = this.#deadlines;
    return deadlines.run(fn, () => new CacheStoreTimeoutError(this.store.name, operation, deadlines.timeoutMs));
  }

  /**
   * With the circuit open: whether the store has a new connection since the last failure (then the
   * call goes through as the probe, without waiting out the cooldown). A store without a connection
   * is asked to reconnect if its server is back.
   */
  #storeCameBack(): boolean {
    const connection = this.#connection();
    if (connection === undefined) {
      try {
        this.store.reconnect?.();
      } catch {
        // an optional hint: a store that cannot take it recovers on the cooldown
      }
      return false;
    }
    if (connection === this.#failedOn) return false;
    this.#breaker.probeNow();
    return this.#breaker.allows();
  }

  /** The store's live connection (`CacheStore.connection`), `undefined` if it has none or cannot say. */
  #connection(): object | undefined {
    try {
      return this.store.connection?.();
    } catch {
      return undefined;
    }
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

/**
 * One running load of a key: its outcome, and when (on {@link Cache}'s clock) it last began a read
 * that may produce its value (the loader's start, or a read of the store while it waits for a lock).
 */
interface Flight {
  promise: Promise<Outcome<unknown>>;
  loaderStartedAt: number | undefined;
}

/** What a flight gives its callers: the value, and whether it came from the store (another process loaded it). */
interface Outcome<V> {
  readonly value: V;
  readonly fromStore: boolean;
}

const noop = (): void => {};

/** A flight's promise until its load has started (synchronously after). */
const UNSET: Promise<Outcome<unknown>> = Promise.resolve({ value: undefined, fromStore: false });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a waiter sleeps before its `round`-th poll: 10 ms, backing off to 25 ms, ±20 % (waiters spread out). */
function pollDelayMs(round: number): number {
  return Math.min(25, 10 * 1.5 ** round) * (0.8 + 0.4 * Math.random());
}

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
