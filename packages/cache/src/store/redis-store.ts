import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@stratum/core';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { CacheStoreUnavailableError } from '../errors/cache-store-unavailable-error.js';
import { decodeValue, encodeValue } from '../serialization/codec.js';
import { ttlMs as checkTtl } from '../ttl-ms.js';
import type {
  CacheEntry,
  CacheRead,
  CacheReadOptions,
  CacheStore,
  CacheStoreStats,
  CacheWriteOptions,
} from './cache-store.js';
import { ReconnectProbe } from './reconnect-probe.js';
import { decodeRedisEntry, encodeRedisEntry } from './redis-entry.js';
import { globToRegExp, RedisKeys, redisSlot } from './redis-keys.js';
import {
  defineRedisScripts,
  INVALIDATE_COMMAND,
  type RedisScriptCommands,
  SET_IF_GENERATION_COMMAND,
  UNLOCK_COMMAND,
} from './redis-scripts.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** A connected (or lazily connecting) ioredis client: standalone `Redis` or `Cluster`. */
  readonly client: Redis | Cluster;
  /**
   * Prefix of every Redis key of the store, e.g. `'app:cache'`. Must be non-empty and contain no `{`
   * or `}` (the store puts Redis Cluster hash tags right after it).
   */
  readonly namespace: string;
  /**
   * How long a key's generation survives its last invalidation, in ms. It must outlive any load: a
   * reader that read generation N, loads for longer than this, and finds the generation key expired
   * (back to 0) has its write refused — but a reader that read generation 0 before an invalidation
   * whose generation key has since expired would write its old value back.
   * @default 86_400_000 (24 h)
   */
  readonly generationTtlMs?: number;
  /**
   * Random spread of `ttlMs`, as a fraction: `0.1` stores each entry for `ttlMs` ± 10 %, so entries
   * written together do not all expire (and reload) together.
   * @default 0
   */
  readonly ttlJitter?: number;
  /**
   * Keys per SCAN call of {@link RedisStore.invalidatePattern} and {@link RedisStore.clear}.
   * @default 500
   */
  readonly scanCount?: number;
  /**
   * {@link RedisStore.close} quits the client (else the caller owns it).
   * @default false
   */
  readonly ownsClient?: boolean;
  /**
   * The store's {@link CacheStore.name}.
   * @default 'redis'
   */
  readonly name?: string;
}

/** 24 hours, the default {@link RedisStoreOptions.generationTtlMs}. */
export const DEFAULT_GENERATION_TTL_MS = 24 * 60 * 60 * 1000;

const DEFAULT_SCAN_COUNT = 500;
const NO_TAGS: readonly string[] = [];

type Client = (Redis | Cluster) & RedisScriptCommands;
type ScriptedPipeline = ChainableCommander & {
  [K in keyof RedisScriptCommands]: (...args: Parameters<RedisScriptCommands[K]>) => ScriptedPipeline;
};
type WriteItem = { key: string; entry: CacheEntry<unknown>; options?: CacheWriteOptions };
/** An encoded write: the entry bytes, its PX (`undefined`: no expiry) and the generation it requires. */
type PreparedWrite = { key: string; value: Buffer; px: number | undefined; ifGeneration: number | undefined };

/**
 * A {@link CacheStore} on Redis (ioredis 6), standalone or Cluster. Entries are stored as one binary
 * value each (the codec's bytes of the value plus expiry and tag versions), with a PX TTL so Redis
 * drops them; invalidation is by generation per key (Lua compare-and-set) and version per tag.
 *
 * Key layout (see {@link RedisKeys}): an entry `<ns>:{<h>}:e:<key>`, its generation
 * `<ns>:{<h>}:g:<key>` and its stampede lock `<ns>:{<h>}:l:<key>` share a hash tag, the tag versions `<ns>:{<ns>}:t:<tag>` share the namespace's;
 * so a Cluster never answers CROSSSLOT. On a Cluster, batches are pipelined per master (keys grouped by
 * the node serving their slot) and SCANs run on every master.
 *
 * The store does not own `client` (unless `ownsClient`): {@link close} leaves it open.
 *
 * @example
 * ```ts
 * import { Cluster, Redis } from 'ioredis';
 * import { RedisStore } from '@stratum/cache';
 *
 * const store = new RedisStore({ client: new Redis(), namespace: 'app:cache', ttlJitter: 0.1 });
 * const { entry, generation } = await store.get<string>('users:42');
 * if (!entry) await store.set('users:42', { value: 'Ada' }, { ifGeneration: generation, ttlMs: 60_000 });
 *
 * const clustered = new RedisStore({ client: new Cluster([{ host: '10.0.0.1', port: 6379 }]), namespace: 'app' });
 * ```
 */
export class RedisStore implements CacheStore {
  readonly name: string;
  readonly keys: RedisKeys;
  readonly #client: Client;
  readonly #cluster: Cluster | undefined;
  readonly #keyPrefix: string;
  readonly #generationTtlMs: number;
  readonly #ttlJitter: number;
  readonly #scanCount: number;
  readonly #ownsClient: boolean;
  readonly #probe: ReconnectProbe | undefined;
  #errors = 0;

  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', 'an object { client, namespace }', options);
    }
    const { client, namespace } = options;
    if (typeof client !== 'object' || client === null || typeof client.defineCommand !== 'function') {
      throw new InvalidArgumentError('options.client', 'an ioredis Redis or Cluster client', client);
    }
    if (typeof namespace !== 'string' || namespace.length === 0 || /[{}]/.test(namespace)) {
      throw new InvalidArgumentError('options.namespace', 'a non-empty string without { or }', namespace);
    }
    const keyPrefix = client.options?.keyPrefix ?? '';
    if (/[{}]/.test(keyPrefix)) {
      throw new InvalidArgumentError('options.client keyPrefix', 'a prefix without { or }', keyPrefix);
    }
    const generationTtlMs = options.generationTtlMs ?? DEFAULT_GENERATION_TTL_MS;
    if (!Number.isSafeInteger(generationTtlMs) || generationTtlMs <= 0) {
      throw new InvalidArgumentError('options.generationTtlMs', 'a positive integer (ms)', generationTtlMs);
    }
    const ttlJitter = options.ttlJitter ?? 0;
    if (typeof ttlJitter !== 'number' || !Number.isFinite(ttlJitter) || ttlJitter < 0 || ttlJitter >= 1) {
      throw new InvalidArgumentError('options.ttlJitter', 'a fraction >= 0 and < 1', ttlJitter);
    }
    const scanCount = options.scanCount ?? DEFAULT_SCAN_COUNT;
    if (!Number.isSafeInteger(scanCount) || scanCount <= 0) {
      throw new InvalidArgumentError('options.scanCount', 'a positive integer', scanCount);
    }
    const name = options.name ?? 'redis';
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('options.name', 'a non-empty string', name);
    }
    this.name = name;
    this.keys = new RedisKeys(namespace);
    this.#client = defineRedisScripts(client);
    this.#cluster = client.isCluster ? (client as Cluster) : undefined;
    this.#keyPrefix = keyPrefix;
    this.#generationTtlMs = generationTtlMs;
    this.#ttlJitter = ttlJitter;
    this.#scanCount = scanCount;
    this.#ownsClient = options.ownsClient === true;
    this.#probe = client.isCluster ? undefined : new ReconnectProbe(client as Redis);
  }

  /**
   * The client's socket while it is ready (a new object for every connection), else `undefined`;
   * `undefined` always on a Cluster (the cache then waits out its cooldown). See `CacheStore.connection`.
   *
   * @example
   * ```ts
   * store.connection() === undefined; // while Redis is unreachable
   * ```
   */
  connection(): object | undefined {
    if (this.#probe === undefined) return undefined;
    const client = this.#client as Redis;
    return client.status === 'ready' ? (client.stream ?? undefined) : undefined;
  }

  /**
   * While the client waits to reconnect: probes the server (TCP, at most every 100 ms) and
   * reconnects the client at once if it accepts connections again. See `CacheStore.reconnect`.
   *
   * @example
   * ```ts
   * store.reconnect(); // the Cache calls it while its circuit is open
   * ```
   */
  reconnect(): void {
    this.#probe?.poke();
  }

  /**
   * The entry of `key` and its generation. Standalone: one MGET of entry, generation and the
   * `prefetchTags` versions; on a Cluster one MGET of entry and generation (same slot) and, at the
   * same time, one of the prefetched tags (the tags' slot). Tags of the entry not prefetched cost
   * one more MGET.
   *
   * @example
   * ```ts
   * const { entry, generation } = await store.get<Track>('track:1');
   * ```
   */
  get<V>(key: string, options?: CacheReadOptions): Promise<CacheRead<V>> {
    const prefetch = options?.prefetchTags ?? NO_TAGS;
    if (this.#cluster) return this.#track(() => this.#getClustered<V>(key, prefetch));
    // Standalone: ONE command for the entry, its generation and the prefetched tag versions — a hit
    // costs what a plain GET does. (Two commands sent at once still cost a second write, a second
    // read and a second reply on each side: on loopback that was a third of a hit.) The hit path is
    // kept flat — no async layer of its own, one hash of the key, the reply read in place — because
    // every microsecond here is a share of the round trip (see "The Redis hit path" in
    // docs/decisions.md).
    try {
      const unique = prefetch.length > 1 ? [...new Set(prefetch)] : prefetch;
      const args: string[] = this.keys.entryAndGeneration(key);
      for (const tag of unique) args.push(this.keys.tag(tag));
      return this.#client.mgetBuffer(args).then(
        (replies) => this.#resolveOne<V>(replies, unique),
        (error: unknown) => this.#failed(error),
      );
    } catch (error) {
      return this.#failed(error);
    }
  }

  /** {@link get} on a Cluster: the tags live in another slot than the entry, so two commands, sent at once. */
  async #getClustered<V>(key: string, prefetch: readonly string[]): Promise<CacheRead<V>> {
    const [[raw, generation], known] = await Promise.all([
      this.#client.mgetBuffer(this.keys.entry(key), this.keys.generation(key)),
      prefetch.length > 0 ? this.#tagVersions(prefetch) : Promise.resolve({} as Record<string, number>),
    ]);
    return (await this.#resolveReads<V>([{ raw: raw ?? null, generation: generation ?? null }], known))[0]!;
  }

  /**
   * The read of a standalone MGET reply `[entry, generation, ...versions of tags]`. Synchronous
   * unless the entry carries a tag that was not prefetched (then one more MGET, as {@link get} says).
   */
  #resolveOne<V>(replies: (Buffer | null)[], tags: readonly string[]): CacheRead<V> | Promise<CacheRead<V>> {
    try {
      const generation = parseCount(replies[1] ?? null);
      const entry = this.#live<V>(replies[0] ?? null, Date.now());
      if (entry === undefined) return { entry, generation };
      const versions = entry.tags;
      if (versions === undefined) return { entry, generation };
      const missing: string[] = [];
      for (const tag of Object.keys(versions)) {
        const at = tags.indexOf(tag);
        if (at < 0) missing.push(tag);
        else if ((versions[tag] as number) < parseCount(replies[at + 2] ?? null))
          return { entry: undefined, generation };
      }
      if (missing.length === 0) return { entry, generation };
      return this.#tagVersions(missing).then(
        (current) => ({
          entry: missing.some((tag) => (versions[tag] as number) < (current[tag] ?? 0)) ? undefined : entry,
          generation,
        }),
        (error: unknown) => this.#failed(error),
      );
    } catch (error) {
      return this.#failed(error);
    }
  }

  /** Counts a failed operation and rethrows its error (as a rejected promise). */
  #failed(error: unknown): Promise<never> {
    this.#errors += 1;
    return Promise.reject(error);
  }

  /**
   * {@link get} for many keys: one pipeline (one per master on a Cluster), then one MGET of all their
   * tags' versions.
   *
   * @example
   * ```ts
   * const [a, b] = await store.getMany<Track>(['track:1', 'track:2']);
   * ```
   */
  getMany<V>(keys: readonly string[]): Promise<CacheRead<V>[]> {
    return this.#track(async () => {
      if (keys.length === 0) return [];
      const replies = await this.#batch(
        keys,
        (key) => this.keys.entry(key),
        (pipeline, key) => pipeline.mgetBuffer(this.keys.entry(key), this.keys.generation(key)),
        (key) => this.#client.mgetBuffer(this.keys.entry(key), this.keys.generation(key)),
      );
      return this.#resolveReads<V>(
        replies.map((reply) => {
          const [raw, generation] = reply as (Buffer | null)[];
          return { raw: raw ?? null, generation: generation ?? null };
        }),
      );
    });
  }

  /**
   * Stores `entry` under `key` with PX = `ttlMs` (± `ttlJitter`, and at least until `staleUntil`); with
   * `ifGeneration`, atomically only if the key's generation is still that one.
   *
   * @example
   * ```ts
   * const { generation } = await store.get('track:1');
   * const track = await loadTrack(1);
   * await store.set('track:1', { value: track }, { ifGeneration: generation, ttlMs: 60_000 }); // false if invalidated meanwhile
   * ```
   */
  set<V>(key: string, entry: CacheEntry<V>, options?: CacheWriteOptions): Promise<boolean> {
    return this.#track(async () => isWritten(await this.#write(this.#client, this.#prepare({ key, entry, options }))));
  }

  /**
   * {@link set} for many keys, pipelined (per master on a Cluster); one boolean per item.
   *
   * @example
   * ```ts
   * await store.setMany([
   *   { key: 'track:1', entry: { value: a }, options: { ttlMs: 60_000 } },
   *   { key: 'track:2', entry: { value: b }, options: { ifGeneration: 3 } },
   * ]); // [true, false]
   * ```
   */
  setMany<V>(
    entries: readonly { key: string; entry: CacheEntry<V>; options?: CacheWriteOptions }[],
  ): Promise<boolean[]> {
    return this.#track(async () => {
      if (entries.length === 0) return [];
      const writes = entries.map((item) => this.#prepare(item));
      const replies = await this.#batch(
        writes,
        (write) => this.keys.entry(write.key),
        (pipeline, write) => this.#write(pipeline as ScriptedPipeline, write),
        (write) => this.#write(this.#client, write),
      );
      return replies.map(isWritten);
    });
  }

  /**
   * Drops the entries of `keys` and bumps their generations (one Lua script per key, pipelined); the
   * generation keys live `generationTtlMs`. Returns how many keys had an entry.
   *
   * @example
   * ```ts
   * await store.invalidate(['track:1', 'track:2']); // 2
   * ```
   */
  invalidate(keys: readonly string[]): Promise<number> {
    return this.#track(() => this.#invalidate(keys));
  }

  /**
   * Invalidates every key matching `pattern` (`*`, `?`; everything else literal): SCAN ... MATCH in
   * batches of `scanCount` on every master (never KEYS), then {@link invalidate} of each batch found.
   * Returns how many entries it dropped.
   *
   * @example
   * ```ts
   * await store.invalidatePattern('track:*');
   * ```
   */
  invalidatePattern(pattern: string): Promise<number> {
    return this.#track(async () => {
      if (typeof pattern !== 'string') throw new InvalidArgumentError('pattern', 'a string', pattern);
      const exact = globToRegExp(pattern);
      let invalidated = 0;
      await this.#scanEntries(this.keys.entryPattern(pattern, this.#keyPrefix), async (keys) => {
        const dropped = await this.#invalidate(keys.filter((key) => exact.test(key)));
        invalidated += dropped; // masters are scanned in parallel: add after the await
      });
      return invalidated;
    });
  }

  /**
   * The current version of each tag (one MGET; all tags of the namespace are in one slot).
   *
   * @example
   * ```ts
   * const tags = await store.tagVersions(['Track', 'Album']); // { Track: 3, Album: 0 }
   * ```
   */
  tagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    return this.#track(() => this.#tagVersions(tags));
  }

  /**
   * Bumps the version of each tag (INCR, pipelined in the namespace's tag slot); entries written with
   * an older version read as misses from then on. Tag versions never expire.
   *
   * @example
   * ```ts
   * await store.invalidateTags(['Track']);
   * ```
   */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.#track(async () => {
      const unique = [...new Set(tags)];
      if (unique.length === 0) return;
      const pipeline = this.#client.pipeline();
      for (const tag of unique) pipeline.incr(this.keys.tag(tag));
      throwFirstError(await pipeline.exec());
    });
  }

  /**
   * Drops every entry of the namespace (SCAN + the invalidation script on every master): the entries
   * are deleted and their generations bumped, so a load that started before `clear()` cannot write
   * back; tag versions are kept for the same reason.
   *
   * @example
   * ```ts
   * await store.clear();
   * ```
   */
  clear(): Promise<void> {
    return this.#track(async () => {
      await this.#scanEntries(this.keys.entryPattern('*', this.#keyPrefix), async (keys) => {
        await this.#invalidate(keys);
      });
    });
  }

  /**
   * Takes the stampede lock of `key` for `ttlMs` (`SET <lock> <token> NX PX ttlMs`, the lock key in
   * the entry's slot — see {@link RedisKeys.lock}) and returns its random token; `undefined` when
   * another holder has it. It expires by itself, so a holder that dies blocks nobody for longer.
   *
   * @example
   * ```ts
   * const token = await store.lock('track:1', 5_000);
   * if (token !== undefined) {
   *   try { await store.set('track:1', { value: await loadTrack(1) }, { ttlMs: 60_000 }); }
   *   finally { await store.unlock('track:1', token); }
   * }
   * ```
   */
  lock(key: string, ttlMs: number): Promise<string | undefined> {
    return this.#track(async () => {
      checkTtl('ttlMs', ttlMs);
      const token = randomUUID();
      const reply = await this.#client.set(this.keys.lock(key), token, 'PX', Math.ceil(ttlMs), 'NX');
      return reply === 'OK' ? token : undefined;
    });
  }

  /**
   * Releases the stampede lock of `key` if `token` still holds it (one Lua compare-and-delete);
   * otherwise — it expired and another holder took it — leaves it alone.
   *
   * @example
   * ```ts
   * await store.unlock('track:1', token);
   * ```
   */
  unlock(key: string, token: string): Promise<void> {
    return this.#track(async () => {
      if (typeof token !== 'string') throw new InvalidArgumentError('token', 'a token returned by lock', token);
      await this.#client[UNLOCK_COMMAND](this.keys.lock(key), token);
    });
  }

  /**
   * The store's name and how many operations failed.
   *
   * @example
   * ```ts
   * store.stats(); // { name: 'redis', errors: 0 }
   * ```
   */
  stats(): CacheStoreStats {
    return { name: this.name, errors: this.#errors };
  }

  /**
   * Quits the client if the store owns it (`ownsClient`); otherwise leaves it open for its owner.
   *
   * @example
   * ```ts
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    if (!this.#ownsClient || this.#client.status === 'end') return;
    const ended = new Promise<void>((resolve) => this.#client.once('end', () => resolve()));
    await this.#client.quit();
    await ended;
  }

  async #track<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.#errors += 1;
      throw error;
    }
  }

  /** Decodes raw entries, hides expired ones and those with outdated tags (one MGET for all tags). */
  async #resolveReads<V>(
    replies: { raw: Buffer | null; generation: Buffer | null }[],
    known: Readonly<Record<string, number>> = {},
  ): Promise<CacheRead<V>[]> {
    const now = Date.now();
    const entries = replies.map(({ raw }) => this.#live<V>(raw, now));
    const tags = new Set<string>();
    for (const entry of entries) for (const tag of Object.keys(entry?.tags ?? {})) if (!(tag in known)) tags.add(tag);
    const current = tags.size > 0 ? { ...known, ...(await this.#tagVersions([...tags])) } : known;
    return replies.map(({ generation }, i) => {
      let entry = entries[i];
      if (entry?.tags && Object.entries(entry.tags).some(([tag, version]) => version < (current[tag] ?? 0))) {
        entry = undefined;
      }
      return { entry, generation: parseCount(generation) };
    });
  }

  /** The entry of `raw` unless it is absent, unreadable, or past its expiry and its stale window at `now`. */
  #live<V>(raw: Buffer | null, now: number): CacheEntry<V> | undefined {
    if (!raw) return undefined;
    const entry = this.#decode<V>(raw);
    if (!entry) return undefined;
    const end = Math.max(entry.expiresAt ?? Number.NEGATIVE_INFINITY, entry.staleUntil ?? Number.NEGATIVE_INFINITY);
    return end !== Number.NEGATIVE_INFINITY && now > end ? undefined : entry;
  }

  #decode<V>(raw: Buffer): CacheEntry<V> | undefined {
    try {
      return decodeRedisEntry<V>(raw, decodeValue as (bytes: Buffer) => V);
    } catch {
      // Not an entry this store can read (corrupt, or written by an incompatible version): a miss.
      this.#errors += 1;
      return undefined;
    }
  }

  #prepare(item: WriteItem): PreparedWrite {
    const { key, entry, options } = item;
    if (typeof key !== 'string') throw new InvalidArgumentError('key', 'a string', key);
    if (typeof entry !== 'object' || entry === null) {
      throw new InvalidArgumentError('entry', 'an object { value, expiresAt?, staleUntil?, tags? }', entry);
    }
    const ifGeneration = options?.ifGeneration;
    if (ifGeneration !== undefined && (!Number.isSafeInteger(ifGeneration) || ifGeneration < 0)) {
      throw new InvalidArgumentError('options.ifGeneration', 'a non-negative integer', ifGeneration);
    }
    const ttlMs = options?.ttlMs === undefined ? undefined : checkTtl('options.ttlMs', options.ttlMs);
    const value = encodeRedisEntry(entry, encodeValue);
    return { key, value, px: this.#px(entry, ttlMs), ifGeneration };
  }

  /** The PX of an entry: `ttlMs` with jitter, but at least until its `staleUntil`/`expiresAt`. */
  #px(entry: CacheEntry<unknown>, ttlMs: number | undefined): number | undefined {
    let px = ttlMs === undefined ? undefined : jitter(ttlMs, this.#ttlJitter);
    const end = Math.max(entry.expiresAt ?? Number.NEGATIVE_INFINITY, entry.staleUntil ?? Number.NEGATIVE_INFINITY);
    if (end !== Number.NEGATIVE_INFINITY) px = Math.max(px ?? 0, end - Date.now());
    return px === undefined ? undefined : Math.max(1, Math.ceil(px));
  }

  #write(target: Client, write: PreparedWrite): Promise<unknown>;
  #write(target: ScriptedPipeline, write: PreparedWrite): ScriptedPipeline;
  #write(target: Client | ScriptedPipeline, write: PreparedWrite): Promise<unknown> | ScriptedPipeline {
    const entryKey = this.keys.entry(write.key);
    if (write.ifGeneration !== undefined) {
      return target[SET_IF_GENERATION_COMMAND](
        entryKey,
        this.keys.generation(write.key),
        write.value,
        String(write.ifGeneration),
        write.px === undefined ? '' : String(write.px),
      );
    }
    const written =
      write.px === undefined ? target.set(entryKey, write.value) : target.set(entryKey, write.value, 'PX', write.px);
    return written as Promise<unknown> | ScriptedPipeline;
  }

  async #invalidate(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const ttl = String(this.#generationTtlMs);
    const replies = await this.#batch(
      keys,
      (key) => this.keys.entry(key),
      (pipeline, key) =>
        (pipeline as ScriptedPipeline)[INVALIDATE_COMMAND](this.keys.entry(key), this.keys.generation(key), ttl),
      (key) => this.#client[INVALIDATE_COMMAND](this.keys.entry(key), this.keys.generation(key), ttl),
    );
    return replies.reduce<number>((sum, reply) => sum + Number(reply), 0);
  }

  async #tagVersions(tags: readonly string[]): Promise<Record<string, number>> {
    const unique = [...new Set(tags)];
    const versions: Record<string, number> = {};
    if (unique.length === 0) return versions;
    const replies = await this.#client.mget(unique.map((tag) => this.keys.tag(tag)));
    unique.forEach((tag, i) => {
      versions[tag] = parseCount(replies[i] ?? null);
    });
    return versions;
  }

  /**
   * Runs one command per item in pipelines and returns the replies in item order. Standalone: one
   * pipeline. Cluster: one pipeline per group of slots served by the same nodes (ioredis sends a whole
   * pipeline to one node), run in parallel; an item whose pipeline fails (slots moved meanwhile) or
   * whose reply is an error (MOVED, ASK, TRYAGAIN) is retried once as a single command, which ioredis
   * redirects.
   */
  async #batch<T>(
    items: readonly T[],
    redisKeyOf: (item: T) => string,
    queue: (pipeline: ScriptedPipeline, item: T) => unknown,
    single: (item: T) => Promise<unknown>,
  ): Promise<unknown[]> {
    const cluster = this.#cluster;
    if (!cluster) {
      const pipeline = this.#client.pipeline() as ScriptedPipeline;
      for (const item of items) queue(pipeline, item);
      return throwFirstError(await pipeline.exec());
    }
    if (cluster.slots.length === 0) await waitUntilReady(cluster);
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const slot = redisSlot(this.#keyPrefix + redisKeyOf(item));
      const group = cluster.slots[slot]?.join(';') ?? '';
      const indexes = groups.get(group);
      if (indexes) indexes.push(i);
      else groups.set(group, [i]);
    });
    const replies = new Array<unknown>(items.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const pipeline = this.#client.pipeline() as ScriptedPipeline;
        for (const i of indexes) queue(pipeline, items[i]!);
        const results = await pipeline.exec().catch(() => null);
        await Promise.all(
          indexes.map(async (i, n) => {
            const result = results?.[n];
            replies[i] = result && !result[0] ? result[1] : await single(items[i]!);
          }),
        );
      }),
    );
    return replies;
  }

  /** SCANs every master (or the standalone server) for `match` and hands each batch of cache keys to `visit`. */
  async #scanEntries(match: string, visit: (keys: string[]) => Promise<void>): Promise<void> {
    const cluster = this.#cluster;
    if (cluster && cluster.slots.length === 0) await waitUntilReady(cluster);
    const nodes: Redis[] = cluster ? cluster.nodes('master') : [this.#client as Redis];
    await Promise.all(
      nodes.map(async (node) => {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', match, 'COUNT', this.#scanCount);
          cursor = next;
          const keys: string[] = [];
          for (const redisKey of found) {
            const key = this.keys.keyOfEntry(redisKey, this.#keyPrefix);
            if (key !== undefined) keys.push(key);
          }
          if (keys.length > 0) await visit(keys);
        } while (cursor !== '0');
      }),
    );
  }
}

function parseCount(reply: Buffer | string | null): number {
  if (reply === null) return 0;
  const count = Number(reply.toString());
  return Number.isSafeInteger(count) ? count : 0;
}

/** A write reply: `OK` from SET, 1 from the compare-and-set script (0: refused). */
function isWritten(reply: unknown): boolean {
  return reply === 'OK' || reply === 1;
}

function jitter(ttlMs: number, fraction: number): number {
  if (fraction === 0) return ttlMs;
  return ttlMs * (1 + fraction * (2 * Math.random() - 1));
}

function throwFirstError(results: [error: Error | null, result: unknown][] | null): unknown[] {
  if (!results)
    throw new CacheStoreUnavailableError('RedisStore', 'pipeline-discarded', 'Redis discarded the pipeline');
  return results.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

function waitUntilReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve();
  if (cluster.status === 'wait') cluster.connect().catch(() => {});
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      cluster.off('end', onEnd);
      resolve();
    };
    const onEnd = (): void => {
      cluster.off('ready', onReady);
      reject(
        new CacheStoreUnavailableError(
          'RedisStore',
          'cluster-ended',
          'the Redis Cluster connection ended before it was ready',
        ),
      );
    };
    cluster.once('ready', onReady);
    cluster.once('end', onEnd);
  });
}
