import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '@stratum/core';
import type { Cluster, Redis } from 'ioredis';
import { CacheStoreUnavailableError } from '../errors/cache-store-unavailable-error.js';
import type {
  CacheEntry,
  CacheRead,
  CacheReadOptions,
  CacheStore,
  CacheStoreStats,
  CacheWriteOptions,
} from './cache-store.js';
import { MemoryStore } from './memory-store.js';
import { ReconnectProbe } from './reconnect-probe.js';
import { RedisStore } from './redis-store.js';
import { type TieredL1Value, unwrapTieredL1Entry, wrapTieredL1Entry } from './tiered-l1-entry.js';
import { decodeTieredMessage, encodeTieredMessage, type TieredInvalidation } from './tiered-message.js';

/** Options of {@link TieredStore}. */
export interface TieredStoreOptions {
  /** The in-process L1. Give it its own `MemoryStore`: the tiered store clears it whenever it may be stale. */
  readonly l1: MemoryStore;
  /** The shared L2, the authority on values, generations and tag versions. */
  readonly l2: RedisStore;
  /**
   * A dedicated ioredis connection for SUBSCRIBE (a connection in subscriber mode can run nothing
   * else). On a Cluster, a plain `Redis` to any node: classic pub/sub messages reach every node.
   */
  readonly subscriber: Redis;
  /**
   * The connection that PUBLISHes invalidations (any client of the same Redis or Cluster, e.g. the
   * L2's).
   * @default `subscriber.duplicate()`, owned and quit by {@link TieredStore.close}
   */
  readonly publisher?: Redis | Cluster;
  /**
   * The pub/sub channel; every process sharing the L2 namespace must use the same.
   * @default `<namespace>:l1-invalidations`
   */
  readonly channel?: string;
  /**
   * At most this long (ms) an entry stays in L1 after it was filled, whatever its `expiresAt` — a
   * bound on staleness should an invalidation message be lost without the connection noticing.
   * @default 60_000
   */
  readonly l1TtlMs?: number;
  /**
   * The bound on staleness of an L1 hit, in ms, whatever the event loop does. L1 serves a hit only
   * while a PING sent on the subscriber connection at most this long ago has been answered: Redis
   * answers on that connection in order, so every invalidation published before the PING was applied
   * before its answer. A process too busy to read its socket (a CPU-bound loop of L1 hits) stops
   * being served by L1 after this long and reads L2, which lets it catch up.
   * @default 1_000
   */
  readonly maxStalenessMs?: number;
  /**
   * A PING unanswered for this many ms means the subscriber connection may be dead without having
   * said so (no FIN on a partition): L1 is dropped and the connection re-opened. PINGs go out every
   * `min(heartbeatMs, maxStalenessMs / 4)` ms, to keep L1's lease fresh.
   * @default 1_000
   */
  readonly heartbeatMs?: number;
  /**
   * {@link TieredStore.close} quits `subscriber` (else it is only unsubscribed).
   * @default false
   */
  readonly ownsSubscriber?: boolean;
  /**
   * The store's {@link CacheStore.name}.
   * @default 'tiered'
   */
  readonly name?: string;
}

/** {@link CacheStoreStats} of a {@link TieredStore}. */
export interface TieredStoreStats extends CacheStoreStats {
  /** Reads answered by L1 alone (no Redis round trip). */
  readonly l1Hits: number;
  /** Keys read from L2 (L1 misses, and every read while L1 is not serving). */
  readonly l2Reads: number;
  /** Entries L1 holds now. */
  readonly l1Entries: number;
  /** Invalidation messages received from other processes and applied to L1. */
  readonly messages: number;
  /** How many times L1 was dropped because the subscription was, or may have been, lost. */
  readonly l1Drops: number;
  /** Whether L1 is serving reads (subscribed); `false` while the subscriber is disconnected. */
  readonly l1Serving: boolean;
  /**
   * Reads that went to L2 because no PING had been answered within `maxStalenessMs` (a busy event
   * loop, a slow subscriber connection): L1 may have missed an invalidation, so it was not trusted.
   */
  readonly leaseMisses: number;
}

/** Default {@link TieredStoreOptions.l1TtlMs}. */
export const DEFAULT_L1_TTL_MS = 60_000;
/** Default {@link TieredStoreOptions.heartbeatMs}. */
export const DEFAULT_HEARTBEAT_MS = 1_000;
/** Default {@link TieredStoreOptions.maxStalenessMs}. */
export const DEFAULT_MAX_STALENESS_MS = 1_000;

type WriteItem<V> = { key: string; entry: CacheEntry<V>; options?: CacheWriteOptions };

/**
 * A {@link CacheStore} with an in-process L1 ({@link MemoryStore}) in front of a shared L2
 * ({@link RedisStore}); every process sharing the L2 keeps the others' L1 honest over Redis pub/sub.
 *
 * - **Reads**: L1, else L2 — and the L2 entry (with its expiresAt, staleUntil and tags) is copied into
 *   L1. An L1 hit makes no Redis round trip at all.
 * - **Writes**: L2 first (its generation check is the authority), then L1 — only when the write was
 *   conditional (`ifGeneration`, so the L2 generation is known) and its tags still current in L2; an
 *   unconditional write only evicts the key from every L1 (this one and, by message, the others').
 * - **Invalidations** (keys, patterns, tags, clear): L2, then this L1, then one PUBLISH; every other
 *   process evicts from its L1 when the message arrives. The call resolves once Redis has accepted the
 *   PUBLISH, i.e. handed the message to every subscriber. If the PUBLISH fails, the call rejects (L2
 *   and this L1 are already invalidated); other L1s then serve the old value at most `l1TtlMs` longer.
 *
 * **Generation on L1 hits.** L1 keeps, with each value, the L2 generation it was read (or written)
 * at, and returns it on a hit. The L2 generation only moves on an invalidation, and every
 * invalidation evicts the key from every L1 (by message, or by dropping L1 when messages may have been
 * lost), so a generation kept in L1 is the L2's as long as the entry is there. Asking L2 for the
 * generation on every hit would be exact by construction, but would cost one Redis round trip per hit
 * and leave the two-tier store barely faster than Redis alone. (At worst — the L2's generation key
 * expired after `generationTtlMs` — the kept generation is higher than L2's: a conditional write is
 * refused, a needless miss, never a stale write.)
 *
 * **Tags.** The L1 entry carries the L1's own versions of its tags (taken when it is filled), and a
 * tag invalidation — local or received — bumps the L1 versions, so MemoryStore hides every entry
 * carrying the tag without an index of entries per tag. The L2 versions travel inside the value and
 * are what `get` returns.
 *
 * **Fills never outrun an invalidation.** An L2 reply can arrive after an invalidation message about
 * the same key (two connections, no order between them). A fill is therefore conditional on the L1
 * generation read before the L2 request (MemoryStore bumps it on every eviction), on no tag
 * invalidation having been applied meanwhile for a tagged entry, and on no subscription loss.
 *
 * **Bounded staleness (the lease).** Messages are applied when the event loop reads the subscriber
 * socket; a process that serves L1 hits without yielding (they resolve in microtasks) would never
 * read it. So L1 holds a lease: the send time of the last PING answered on the subscriber connection
 * (Redis replies there in order, so every message published before that PING was applied before its
 * PONG). A hit is served only if the lease is at most `maxStalenessMs` old, checked against the clock
 * at the hit; else the read goes to L2 (and yields, and the next PING renews the lease). An
 * invalidation that returned in any process before a hit started is therefore seen by that hit
 * unless it returned less than `maxStalenessMs` before.
 *
 * **Subscription loss (the epoch rule).** Messages published while the subscriber is disconnected
 * are lost, and a lost invalidation must never become a stale read. On `close`/`reconnecting`/`end`
 * of the subscriber (or a heartbeat PING left unanswered for `heartbeatMs`), the store starts a new
 * epoch: it stops serving from L1 and drops all of it; reads go to L2 and fill nothing. Once the
 * subscriber is connected and SUBSCRIBE is confirmed again, L1 is dropped once more (a fill that
 * started before cannot land, being of an older epoch) and serves again. So after recovery, L1 only
 * holds values read from L2 after the subscription was back: nothing it serves predates an
 * invalidation it could have missed. A connection that died silently answers no PING: the lease
 * runs out after `maxStalenessMs`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { MemoryStore, RedisStore, TieredStore } from '@stratum/cache';
 *
 * const redis = new Redis();
 * const store = new TieredStore({
 *   l1: new MemoryStore({ maxEntries: 5_000 }),
 *   l2: new RedisStore({ client: redis, namespace: 'app:cache' }),
 *   subscriber: new Redis(),
 *   publisher: redis,
 * });
 * await store.ready(); // L1 serves once subscribed (reads go to Redis until then)
 * const { entry, generation } = await store.get<string>('users:42');
 * if (!entry) await store.set('users:42', { value: 'Ada' }, { ifGeneration: generation, ttlMs: 60_000 });
 * await store.invalidate(['users:42']); // evicted from this L1 and, by pub/sub, every other
 * ```
 */
export class TieredStore implements CacheStore {
  readonly name: string;
  readonly l1: MemoryStore;
  readonly l2: RedisStore;
  /** The pub/sub channel of invalidations. */
  readonly channel: string;
  /** This store's id in the messages it publishes (it ignores its own). */
  readonly instanceId: string = randomUUID();
  readonly #subscriber: Redis;
  readonly #subscriberProbe: ReconnectProbe;
  readonly #publisher: Redis | Cluster;
  readonly #ownsPublisher: boolean;
  readonly #ownsSubscriber: boolean;
  readonly #l1TtlMs: number;
  readonly #maxStalenessMs: number;
  readonly #heartbeatMs: number;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  /** When (performance.now()) the last answered PING, or the confirmed SUBSCRIBE, was sent. */
  #heardAt = Number.NEGATIVE_INFINITY;
  /** When the PING in flight was sent. */
  #pingSentAt = 0;
  #leaseMisses = 0;
  /** Whether L1 serves reads: subscribed, in the current epoch. */
  #serving = false;
  /** Bumped whenever messages may have been lost; fills of an older epoch are dropped. */
  #epoch = 0;
  /** The epoch for which SUBSCRIBE was last sent. */
  #subscribedEpoch = 0;
  /** Bumped on every eviction applied to L1 (fence of fills after a write). */
  #evictions = 0;
  /** Bumped whenever L1 tag versions move or L1 is dropped (fence of fills of tagged entries). */
  #tagEvictions = 0;
  #pingPending = false;
  #closed = false;
  #waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #errors = 0;
  #l1Hits = 0;
  #l2Reads = 0;
  #messages = 0;
  #l1Drops = 0;
  readonly #onMessage = (channel: string, payload: string): void => this.#receive(channel, payload);
  readonly #onLost = (): void => this.#lose();
  readonly #onEnd = (): void => this.#end();
  readonly #onReady = (): void => this.#resubscribe();
  readonly #onError = (): void => {
    this.#errors++;
  };

  constructor(options: TieredStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('TieredStore options', 'an object { l1, l2, subscriber }', options);
    }
    const { l1, l2, subscriber, publisher } = options;
    if (!(l1 instanceof MemoryStore)) throw new InvalidArgumentError('options.l1', 'a MemoryStore', l1);
    if (!(l2 instanceof RedisStore)) throw new InvalidArgumentError('options.l2', 'a RedisStore', l2);
    if (
      typeof subscriber !== 'object' ||
      subscriber === null ||
      typeof subscriber.subscribe !== 'function' ||
      subscriber.isCluster
    ) {
      throw new InvalidArgumentError('options.subscriber', 'a dedicated ioredis Redis connection', subscriber);
    }
    if (publisher !== undefined && (typeof publisher !== 'object' || typeof publisher?.publish !== 'function')) {
      throw new InvalidArgumentError('options.publisher', 'an ioredis Redis or Cluster client', publisher);
    }
    if ((publisher as unknown) === subscriber) {
      throw new InvalidArgumentError('options.publisher', 'a connection other than the subscriber', publisher);
    }
    const channel = options.channel ?? `${l2.keys.namespace}:l1-invalidations`;
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new InvalidArgumentError('options.channel', 'a non-empty string', channel);
    }
    const name = options.name ?? 'tiered';
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('options.name', 'a non-empty string', name);
    }
    this.#l1TtlMs = positiveInteger('l1TtlMs', options.l1TtlMs, DEFAULT_L1_TTL_MS);
    const heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs, DEFAULT_HEARTBEAT_MS);
    this.#maxStalenessMs = positiveInteger('maxStalenessMs', options.maxStalenessMs, DEFAULT_MAX_STALENESS_MS);
    this.#heartbeatMs = heartbeatMs;
    this.name = name;
    this.l1 = l1;
    this.l2 = l2;
    this.channel = channel;
    this.#subscriber = subscriber;
    this.#subscriberProbe = new ReconnectProbe(subscriber);
    this.#ownsSubscriber = options.ownsSubscriber === true;
    if (publisher) {
      this.#publisher = publisher;
      this.#ownsPublisher = false;
    } else {
      const duplicate = subscriber.duplicate();
      duplicate.on('error', () => {});
      this.#publisher = duplicate;
      this.#ownsPublisher = true;
    }

    this.#listen('on');
    this.#subscribe();
    const renewMs = Math.max(1, Math.min(heartbeatMs, Math.floor(this.#maxStalenessMs / 4)));
    this.#heartbeat = setInterval(() => this.#beat(), renewMs);
    this.#heartbeat.unref();
  }

  /**
   * Resolves once L1 serves reads (the subscription is confirmed); rejects if the store is closed or
   * the subscriber connection ends first. Reads and writes work before — through L2 only.
   *
   * @example
   * ```ts
   * await store.ready();
   * ```
   */
  ready(): Promise<void> {
    if (this.#serving) return Promise.resolve();
    if (this.#closed)
      return Promise.reject(
        new CacheStoreUnavailableError(`TieredStore ${this.name}`, 'closed', 'the store is closed'),
      );
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * The entry of `key` from L1 if it holds it (no Redis round trip), else from L2 (copied into L1),
   * and the key's L2 generation.
   *
   * @example
   * ```ts
   * const { entry, generation } = await store.get<Track>('track:1');
   * ```
   */
  async get<V>(key: string, options?: CacheReadOptions): Promise<CacheRead<V>> {
    if (!this.#serving || !this.#leased()) {
      this.#l2Reads++;
      return this.l2.get<V>(key, options);
    }
    const epoch = this.#epoch;
    const tagEvictions = this.#tagEvictions;
    const local = await this.l1.get<TieredL1Value>(key);
    if (local.entry !== undefined) {
      this.#l1Hits++;
      return unwrapTieredL1Entry<V>(local.entry);
    }
    this.#l2Reads++;
    const read = await this.l2.get<V>(key, options);
    if (read.entry !== undefined) {
      await this.#fill(key, read.entry, read.generation, { l1Generation: local.generation, epoch, tagEvictions });
    }
    return read;
  }

  /**
   * {@link get} for many keys: L1 for all, then one L2 `getMany` for those L1 did not hold.
   *
   * @example
   * ```ts
   * const [a, b] = await store.getMany<Track>(['track:1', 'track:2']);
   * ```
   */
  async getMany<V>(keys: readonly string[]): Promise<CacheRead<V>[]> {
    if (!this.#serving || !this.#leased()) {
      this.#l2Reads += keys.length;
      return this.l2.getMany<V>(keys);
    }
    const epoch = this.#epoch;
    const tagEvictions = this.#tagEvictions;
    const local = await this.l1.getMany<TieredL1Value>(keys);
    const reads = new Array<CacheRead<V>>(keys.length);
    const missing: number[] = [];
    local.forEach((read, i) => {
      if (read.entry === undefined) missing.push(i);
      else reads[i] = unwrapTieredL1Entry<V>(read.entry);
    });
    this.#l1Hits += keys.length - missing.length;
    if (missing.length === 0) return reads;
    this.#l2Reads += missing.length;
    const remote = await this.l2.getMany<V>(missing.map((i) => keys[i]!));
    for (const [n, i] of missing.entries()) {
      const read = remote[n]!;
      reads[i] = read;
      if (read.entry !== undefined) {
        const fence = { l1Generation: local[i]!.generation, epoch, tagEvictions };
        await this.#fill(keys[i]!, read.entry, read.generation, fence);
      }
    }
    return reads;
  }

  /**
   * Writes `entry` to L2 (refused there if `ifGeneration` is outdated), then to L1. An unconditional
   * write (no `ifGeneration`) is not copied into L1 — its L2 generation is unknown — and evicts the key
   * from every process's L1 instead (one PUBLISH).
   *
   * @example
   * ```ts
   * const { generation } = await store.get('track:1');
   * await store.set('track:1', { value: await loadTrack(1) }, { ifGeneration: generation, ttlMs: 60_000 });
   * ```
   */
  async set<V>(key: string, entry: CacheEntry<V>, options?: CacheWriteOptions): Promise<boolean> {
    const fence = { epoch: this.#epoch, evictions: this.#evictions };
    const written = await this.l2.set(key, entry, options);
    const item: WriteItem<V> = options === undefined ? { key, entry } : { key, entry, options };
    return (await this.#afterWrites([item], [written], fence))[0]!;
  }

  /**
   * {@link set} for many entries: one pipelined L2 `setMany`, then L1; one PUBLISH for the
   * unconditional ones.
   *
   * @example
   * ```ts
   * await store.setMany([{ key: 'track:1', entry: { value: a }, options: { ifGeneration: 0, ttlMs: 60_000 } }]);
   * ```
   */
  async setMany<V>(entries: readonly WriteItem<V>[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const fence = { epoch: this.#epoch, evictions: this.#evictions };
    const written = await this.l2.setMany(entries);
    return this.#afterWrites(entries, written, fence);
  }

  /**
   * Invalidates `keys` in L2, evicts them from this L1, then from every other L1 (PUBLISH). Returns
   * how many keys had an entry in L2.
   *
   * @example
   * ```ts
   * await store.invalidate(['track:1']);
   * ```
   */
  async invalidate(keys: readonly string[]): Promise<number> {
    const count = await this.l2.invalidate(keys);
    const unique = [...new Set(keys)];
    if (unique.length > 0) await this.#broadcast({ kind: 'keys', keys: unique });
    return count;
  }

  /**
   * Invalidates every key matching `pattern` in L2 (SCAN on every master), then in this L1, then in
   * every other L1 (PUBLISH of the pattern). Returns how many entries L2 dropped.
   *
   * @example
   * ```ts
   * await store.invalidatePattern('track:*');
   * ```
   */
  async invalidatePattern(pattern: string): Promise<number> {
    const count = await this.l2.invalidatePattern(pattern);
    await this.#broadcast({ kind: 'pattern', pattern });
    return count;
  }

  /**
   * The current L2 version of each tag (L2 is the authority on versions).
   *
   * @example
   * ```ts
   * const tags = await store.tagVersions(['Track']); // { Track: 3 }
   * ```
   */
  tagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    return this.l2.tagVersions(tags);
  }

  /**
   * Bumps the tags' versions in L2, then hides their entries in this L1 and every other L1 (PUBLISH).
   *
   * @example
   * ```ts
   * await store.invalidateTags(['Track']);
   * ```
   */
  async invalidateTags(tags: readonly string[]): Promise<void> {
    await this.l2.invalidateTags(tags);
    const unique = [...new Set(tags)];
    if (unique.length > 0) await this.#broadcast({ kind: 'tags', tags: unique });
  }

  /**
   * The stampede lock of `key`, taken in L2 (Redis): a lock must be shared by every process, which
   * L1 is not.
   *
   * @example
   * ```ts
   * const token = await store.lock('track:1', 5_000); // undefined: another process holds it
   * ```
   */
  lock(key: string, ttlMs: number): Promise<string | undefined> {
    return this.l2.lock(key, ttlMs);
  }

  /**
   * Releases the stampede lock of `key` in L2 if `token` still holds it.
   *
   * @example
   * ```ts
   * await store.unlock('track:1', token);
   * ```
   */
  unlock(key: string, token: string): Promise<void> {
    return this.l2.unlock(key, token);
  }

  /**
   * Clears the L2 namespace, this L1, and every other L1 (PUBLISH).
   *
   * @example
   * ```ts
   * await store.clear();
   * ```
   */
  async clear(): Promise<void> {
    await this.l2.clear();
    await this.#broadcast({ kind: 'clear' });
  }

  /**
   * The L2's connection (see `CacheStore.connection`): reads and writes need L2 alone.
   *
   * @example
   * ```ts
   * store.connection() === undefined; // while Redis is unreachable
   * ```
   */
  connection(): object | undefined {
    return this.l2.connection();
  }

  /**
   * Reconnects the L2's client and the subscriber at once if Redis accepts connections again
   * (see `RedisStore.reconnect`): L1 serves again as soon as the subscription is back.
   *
   * @example
   * ```ts
   * store.reconnect(); // the Cache calls it while its circuit is open
   * ```
   */
  reconnect(): void {
    this.l2.reconnect();
    this.#subscriberProbe.poke();
  }

  /**
   * The store's name, the errors of both tiers and its own (failed PUBLISHes, unreadable messages,
   * subscriber connection errors), and how L1 is doing.
   *
   * @example
   * ```ts
   * const { l1Hits, l2Reads, l1Drops } = store.stats();
   * ```
   */
  stats(): TieredStoreStats {
    const l1 = this.l1.stats();
    return {
      name: this.name,
      errors: this.#errors + l1.errors + this.l2.stats().errors,
      l1Hits: this.#l1Hits,
      l2Reads: this.#l2Reads,
      l1Entries: l1.entries ?? 0,
      messages: this.#messages,
      l1Drops: this.#l1Drops,
      l1Serving: this.#serving,
      leaseMisses: this.#leaseMisses,
    };
  }

  /**
   * Stops listening (UNSUBSCRIBE), drops L1, closes L2 (which quits its client only if it owns it),
   * quits the publisher it duplicated itself and, with `ownsSubscriber`, the subscriber.
   *
   * @example
   * ```ts
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#serving = false;
    clearInterval(this.#heartbeat);
    this.#listen('off');
    this.#rejectWaiters(new CacheStoreUnavailableError(`TieredStore ${this.name}`, 'closed', 'the store is closed'));
    if (this.#ownsSubscriber) await quit(this.#subscriber);
    else if (this.#subscriber.status === 'ready') await this.#subscriber.unsubscribe(this.channel).catch(() => {});
    if (this.#ownsPublisher) await quit(this.#publisher);
    await this.l1.close();
    await this.l2.close();
  }

  /**
   * Whether L1 may serve: a PING sent at most `maxStalenessMs` ago was answered. If not, counts a
   * lease miss and sends a PING (unless one is in flight), so L1 serves again once it is answered.
   */
  #leased(): boolean {
    const now = performance.now();
    if (now - this.#heardAt <= this.#maxStalenessMs) return true;
    this.#leaseMisses++;
    if (!this.#pingPending) this.#ping(now);
    return false;
  }

  /** Copies an entry read from L2 into L1, unless an eviction (or a new epoch) happened since the read was sent. */
  async #fill(
    key: string,
    entry: CacheEntry<unknown>,
    generation: number,
    fence: { l1Generation: number; epoch: number; tagEvictions: number },
  ): Promise<void> {
    if (!this.#serving || fence.epoch !== this.#epoch) return;
    const tags = entry.tags === undefined ? [] : Object.keys(entry.tags);
    if (tags.length > 0 && fence.tagEvictions !== this.#tagEvictions) return;
    const l1Tags = entry.tags === undefined ? undefined : await this.l1.tagVersions(tags);
    if (!this.#serving || fence.epoch !== this.#epoch) return;
    if (tags.length > 0 && fence.tagEvictions !== this.#tagEvictions) return;
    try {
      await this.l1.set(key, wrapTieredL1Entry(entry, generation, l1Tags), {
        ifGeneration: fence.l1Generation,
        ttlMs: this.#l1TtlMs,
      });
    } catch {
      // Too large for L1 (CacheValueError): served from L2 only.
    }
  }

  /** After an L2 write: copy conditional writes into L1, evict the others everywhere. */
  async #afterWrites<V>(
    items: readonly WriteItem<V>[],
    written: boolean[],
    fence: { epoch: number; evictions: number },
  ): Promise<boolean[]> {
    const overwritten: string[] = [];
    const refused: string[] = [];
    const fills: { item: WriteItem<V>; generation: number }[] = [];
    items.forEach((item, i) => {
      const generation = item.options?.ifGeneration;
      if (!written[i]) refused.push(item.key);
      else if (generation === undefined) overwritten.push(item.key);
      else fills.push({ item, generation });
    });
    // A refused write means the key was invalidated (its message evicts it); evict here too, in case.
    if (refused.length > 0) this.#evictLocally({ kind: 'keys', keys: refused });
    if (fills.length > 0) await this.#fillWrites(fills, fence);
    if (overwritten.length > 0) await this.#broadcast({ kind: 'keys', keys: [...new Set(overwritten)] });
    return written;
  }

  /**
   * Copies conditionally written entries into L1: only if no eviction was applied to L1 since the
   * L2 write was sent, and only entries whose tags are still current in L2 (one MGET) — a value loaded
   * before a tag invalidation but written after it is hidden by L2, and must be by L1.
   */
  async #fillWrites<V>(
    fills: readonly { item: WriteItem<V>; generation: number }[],
    fence: { epoch: number; evictions: number },
  ): Promise<void> {
    const keys = fills.map(({ item }) => item.key);
    const tags = new Set<string>();
    for (const { item } of fills) for (const tag of Object.keys(item.entry.tags ?? {})) tags.add(tag);
    const current = this.#serving && tags.size > 0 ? await this.l2.tagVersions([...tags]) : {};
    if (!this.#serving || fence.epoch !== this.#epoch || fence.evictions !== this.#evictions) {
      // Something was evicted meanwhile (maybe these keys): make sure no older value stays in L1.
      this.#evictLocally({ kind: 'keys', keys });
      return;
    }
    for (const { item, generation } of fills) {
      const { key, entry, options } = item;
      const outdated = Object.entries(entry.tags ?? {}).some(([tag, version]) => version < (current[tag] ?? 0));
      if (outdated) {
        this.#evictLocally({ kind: 'keys', keys: [key] });
        continue;
      }
      const l1Tags = entry.tags === undefined ? undefined : await this.l1.tagVersions(Object.keys(entry.tags));
      const ttlMs = Math.min(this.#l1TtlMs, options?.ttlMs ?? Number.POSITIVE_INFINITY);
      try {
        await this.l1.set(key, wrapTieredL1Entry(entry, generation, l1Tags), ttlMs > 0 ? { ttlMs } : {});
      } catch {
        // Too large for L1: make sure the value it replaces is not served from L1 either.
        this.#evictLocally({ kind: 'keys', keys: [key] });
      }
    }
  }

  /** Evicts from this L1, then PUBLISHes the eviction to every other L1 (rejects if PUBLISH fails). */
  async #broadcast(invalidation: TieredInvalidation): Promise<void> {
    this.#evictLocally(invalidation);
    try {
      await this.#publisher.publish(this.channel, encodeTieredMessage(this.instanceId, invalidation));
    } catch (error) {
      this.#errors++;
      throw error;
    }
  }

  /**
   * Applies an invalidation to L1, synchronously (MemoryStore's methods do their work before their
   * first await), so no fill can slip in between.
   */
  #evictLocally(invalidation: TieredInvalidation): void {
    this.#evictions++;
    let done: Promise<unknown>;
    switch (invalidation.kind) {
      case 'keys':
        done = this.l1.invalidate(invalidation.keys);
        break;
      case 'pattern':
        done = this.l1.invalidatePattern(invalidation.pattern);
        break;
      case 'tags':
        this.#tagEvictions++;
        done = this.l1.invalidateTags(invalidation.tags);
        break;
      case 'clear':
        this.#dropL1();
        return;
    }
    done.catch(() => {
      this.#errors++;
      this.#dropL1();
    });
  }

  /** Drops every L1 entry (and bumps every L1 generation, so no fill in flight lands). */
  #dropL1(): void {
    this.#evictions++;
    this.#tagEvictions++;
    void this.l1.clear();
  }

  #receive(channel: string, payload: string): void {
    if (channel !== this.channel) return;
    const message = decodeTieredMessage(payload);
    if (message === undefined) {
      // Not ours to read: it may have been an invalidation, so assume the worst.
      this.#errors++;
      this.#dropL1();
      return;
    }
    if (message.from === this.instanceId) return;
    this.#messages++;
    this.#evictLocally(message.invalidation);
  }

  /** The subscription is, or may be, lost: new epoch, L1 stops serving and is dropped. */
  #lose(): void {
    if (this.#closed) return;
    this.#epoch++;
    this.#pingPending = false;
    if (this.#serving) this.#l1Drops++;
    this.#serving = false;
    this.#dropL1();
  }

  #end(): void {
    this.#lose();
    this.#rejectWaiters(
      new CacheStoreUnavailableError(`TieredStore ${this.name}`, 'subscriber-ended', 'the subscriber connection ended'),
    );
  }

  #resubscribe(): void {
    if (this.#closed || this.#serving || this.#subscribedEpoch === this.#epoch) return;
    this.#subscribe();
  }

  /** SUBSCRIBEs; once confirmed in the same epoch, drops L1 (it may predate the subscription) and serves. */
  #subscribe(): void {
    const epoch = this.#epoch;
    const sentAt = performance.now();
    this.#subscribedEpoch = epoch;
    this.#subscriber.subscribe(this.channel).then(
      () => {
        if (this.#closed || epoch !== this.#epoch || this.#serving) return;
        this.#heardAt = Math.max(this.#heardAt, sentAt);
        this.#dropL1();
        this.#serving = true;
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const waiter of waiters) waiter.resolve();
      },
      () => {
        // Not connected: the next 'ready' subscribes again.
        if (epoch === this.#epoch) this.#subscribedEpoch = -1;
      },
    );
  }

  /**
   * Renews the lease with a PING; a PING unanswered for `heartbeatMs` means a silently dead
   * connection. That is judged after the poll phase (setImmediate): a timer that fires late after a
   * long synchronous stretch runs before the socket is read, and its PONG may be waiting there.
   */
  #beat(): void {
    if (this.#closed || !this.#serving) return;
    const now = performance.now();
    if (!this.#pingPending) {
      this.#ping(now);
      return;
    }
    if (now - this.#pingSentAt < this.#heartbeatMs) return;
    const epoch = this.#epoch;
    const sentAt = this.#pingSentAt;
    setImmediate(() => {
      if (this.#closed || epoch !== this.#epoch || !this.#pingPending || sentAt !== this.#pingSentAt) return;
      this.#lose();
      this.#subscriber.disconnect(true);
    });
  }

  #ping(now: number): void {
    if (this.#closed || !this.#serving) return;
    this.#pingPending = true;
    this.#pingSentAt = now;
    const epoch = this.#epoch;
    this.#subscriber.ping().then(
      () => {
        if (epoch !== this.#epoch || now !== this.#pingSentAt) return;
        this.#pingPending = false;
        this.#heardAt = Math.max(this.#heardAt, now);
      },
      () => {},
    );
  }

  #listen(method: 'on' | 'off'): void {
    const subscriber = this.#subscriber;
    subscriber[method]('message', this.#onMessage);
    subscriber[method]('close', this.#onLost);
    subscriber[method]('reconnecting', this.#onLost);
    subscriber[method]('end', this.#onEnd);
    subscriber[method]('ready', this.#onReady);
    subscriber[method]('error', this.#onError);
  }

  #rejectWaiters(error: CacheStoreUnavailableError): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

async function quit(client: Redis | Cluster): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`TieredStore options.${option}`, 'a positive integer (ms)', value);
  }
  return value;
}
