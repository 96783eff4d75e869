import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@stratum/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRedis, useRedisPrefix } from '../../../test/harness/index.js';
import {
  CacheStoreUnavailableError,
  MemoryStore,
  RedisStore,
  TieredStore,
  type TieredStoreOptions,
} from '../src/index.js';
import { describeCacheStoreContract } from './contract/describe-cache-store-contract.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READER = fileURLToPath(new URL('./fixtures/tiered-reader.ts', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every ms until it holds; fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(1);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The commands Redis runs that mention `needle` (a namespace), seen through MONITOR on a raw socket
 * (ioredis's monitor() can mistake early MONITOR lines for a reply on a busy server). `settle()` runs
 * a sentinel command and waits until MONITOR shows it, so every command sent before is counted.
 */
async function watchRedis(client: Redis, url: string, needle: string) {
  const { hostname, port, username, password } = new URL(url);
  const socket = tcpConnect(Number(port || 6379), hostname || '127.0.0.1');
  const seen: string[] = [];
  let buffered = '';
  let started!: () => void;
  const monitoring = new Promise<void>((resolve) => {
    started = resolve;
  });
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\r\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '+OK') started();
      else if (line.includes(needle)) seen.push(line);
    }
  });
  socket.on('error', () => {});
  if (password) {
    const auth = username
      ? ['AUTH', decodeURIComponent(username), decodeURIComponent(password)]
      : ['AUTH', decodeURIComponent(password)];
    socket.write(`*${auth.length}\r\n${auth.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
  }
  socket.write('MONITOR\r\n');
  await monitoring;
  let sentinels = 0;
  return {
    /** The command lines seen since the last `settle()` (the sentinel excluded). */
    async settle(): Promise<string[]> {
      const sentinel = `${needle}:sentinel:${++sentinels}`;
      await client.exists(sentinel);
      await until(() => seen.some((line) => line.includes(sentinel)), 5_000, 'MONITOR to show the sentinel');
      const commands = seen.filter((line) => !line.includes(sentinel));
      seen.length = 0;
      return commands;
    },
    stop: () => socket.destroy(),
  };
}

/**
 * A TCP proxy in front of Redis that can go silent (forward nothing, close nothing), like a network
 * partition without FIN: what a heartbeat is there to notice.
 */
async function startSilenceableProxy(port: number): Promise<{ port: number; silent: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { silent: false };
  const server: Server = createServer((downstream) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.on('data', (data) => {
      if (!state.silent) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (!state.silent) downstream.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy did not listen');
  return {
    port: address.port,
    get silent() {
      return state.silent;
    },
    set silent(value: boolean) {
      state.silent = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describeWithRedis('TieredStore (L1 memory in front of L2 Redis)', () => {
  const redis = useRedisPrefix();
  let client: Redis;
  let run = 0;
  const namespace = (): string => `${redis.prefix}tiered${++run}`;

  /** A tiered store on `ns` with its own subscriber connection — one "process" of the deployment. */
  async function openTiered(ns: string, options: Partial<TieredStoreOptions> & { subscriber?: Redis } = {}) {
    const subscriber = options.subscriber ?? new Redis(redis.url);
    subscriber.on('error', () => {});
    const store = new TieredStore({
      l1: new MemoryStore(),
      l2: new RedisStore({ client, namespace: ns }),
      publisher: client,
      ...options,
      subscriber,
    });
    await store.ready();
    return {
      store,
      subscriber,
      close: async (): Promise<void> => {
        await store.close();
        if (subscriber.status !== 'end') subscriber.disconnect();
      },
    };
  }

  beforeAll(async () => {
    client = new Redis(redis.url);
    await client.ping();
  });

  afterAll(async () => {
    await client.quit();
  });

  describeCacheStoreContract('TieredStore (standalone Redis)', async () => {
    const { store, close } = await openTiered(namespace());
    return { store, close };
  });

  describe('options', () => {
    it.each([
      ['an l1 that is not a MemoryStore', { l1: {} }, /options\.l1 must be a MemoryStore/],
      ['an l2 that is not a RedisStore', { l2: new MemoryStore() }, /options\.l2 must be a RedisStore/],
      ['a missing subscriber', { subscriber: undefined }, /options\.subscriber must be a dedicated/],
      ['the subscriber as publisher', { publisher: 'same' }, /options\.publisher must be a connection other/],
      ['an empty channel', { channel: '' }, /options\.channel must be a non-empty string/],
      ['a zero heartbeatMs', { heartbeatMs: 0 }, /options\.heartbeatMs must be a positive integer/],
      ['a fractional maxStalenessMs', { maxStalenessMs: 0.5 }, /options\.maxStalenessMs must be a positive integer/],
      ['a fractional l1TtlMs', { l1TtlMs: 1.5 }, /options\.l1TtlMs must be a positive integer/],
    ])('rejects %s with InvalidArgumentError', (_, override, message) => {
      const subscriber = new Redis(redis.url, { lazyConnect: true });
      const options = {
        l1: new MemoryStore(),
        l2: new RedisStore({ client, namespace: 'app' }),
        subscriber,
        ...override,
      } as Record<string, unknown>;
      if (options.publisher === 'same') options.publisher = subscriber;
      expect(() => new TieredStore(options as unknown as TieredStoreOptions)).toThrow(InvalidArgumentError);
      expect(() => new TieredStore(options as unknown as TieredStoreOptions)).toThrow(message);
      subscriber.disconnect();
    });

    it('derives its channel from the L2 namespace, so processes sharing a namespace hear each other', async () => {
      const ns = namespace();
      const tiered = await openTiered(ns);
      try {
        expect(tiered.store.channel).toBe(`${ns}:l1-invalidations`);
        expect(tiered.store.name).toBe('tiered');
      } finally {
        await tiered.close();
      }
    });

    it('reads and writes through L2 before it is subscribed, and serves from L1 once ready() resolves', async () => {
      const ns = namespace();
      const subscriber = new Redis(redis.url, { lazyConnect: true });
      const store = new TieredStore({
        l1: new MemoryStore(),
        l2: new RedisStore({ client, namespace: ns }),
        subscriber,
        publisher: client,
      });
      try {
        expect(store.stats().l1Serving).toBe(false);
        await store.set('k', { value: 1 }, { ifGeneration: 0 });
        expect((await store.get('k')).entry?.value).toBe(1);
        expect(store.stats()).toMatchObject({ l1Hits: 0, l1Entries: 0 });
        await store.ready();
        await store.get('k');
        expect((await store.get('k')).entry?.value).toBe(1);
        expect(store.stats()).toMatchObject({ l1Hits: 1, l1Entries: 1, l1Serving: true });
      } finally {
        await store.close();
        subscriber.disconnect();
      }
    });

    it('ready() rejects with a typed CacheStoreUnavailableError once the store is closed, and so do its waiters', async () => {
      const subscriber = new Redis(redis.url, { lazyConnect: true });
      const store = new TieredStore({
        l1: new MemoryStore(),
        l2: new RedisStore({ client, namespace: namespace() }),
        subscriber,
        publisher: client,
      });
      const waiting = store.ready().catch((e: unknown) => e); // lazyConnect: never subscribed
      await store.close();
      for (const error of [await waiting, await store.ready().catch((e: unknown) => e)]) {
        expect(error).toBeInstanceOf(CacheStoreUnavailableError);
        expect(error).toMatchObject({
          code: 'E_CACHE_STORE_UNAVAILABLE',
          reason: 'closed',
          store: 'TieredStore tiered',
        });
        expect((error as Error).message).toBe('TieredStore tiered: the store is closed');
      }
      subscriber.disconnect();
    });

    it('ready() rejects with reason subscriber-ended when the subscriber connection ends for good', async () => {
      // A port nobody listens on, and no retries: the connection ends before SUBSCRIBE is confirmed.
      const subscriber = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => null, lazyConnect: true });
      subscriber.on('error', () => {});
      const store = new TieredStore({
        l1: new MemoryStore(),
        l2: new RedisStore({ client, namespace: namespace() }),
        subscriber,
        publisher: client,
      });
      const waiting = store.ready().catch((e: unknown) => e);
      expect(await waiting).toMatchObject({ code: 'E_CACHE_STORE_UNAVAILABLE', reason: 'subscriber-ended' });
      await store.close();
    });

    it('publishes through a duplicate of the subscriber when given no publisher, and quits it on close', async () => {
      const ns = namespace();
      const subscriber = new Redis(redis.url);
      const store = new TieredStore({
        l1: new MemoryStore(),
        l2: new RedisStore({ client, namespace: ns }),
        subscriber,
        ownsSubscriber: true,
      });
      const other = await openTiered(ns);
      try {
        await store.ready();
        await other.store.get('k');
        await store.invalidate(['k']);
        await until(() => other.store.stats().messages === 1, 5_000, 'the message');
      } finally {
        await store.close();
        await other.close();
      }
      expect(subscriber.status).toBe('end');
    });
  });

  describe('two tiers in one process', () => {
    it('serves a repeated read from L1 without sending Redis a single command', async () => {
      const ns = namespace();
      const tiered = await openTiered(ns);
      const watch = await watchRedis(client, redis.url, ns);
      try {
        const { store } = tiered;
        const { generation } = await store.get('track:1');
        await store.set('track:1', { value: { name: 'Hells Bells' } }, { ifGeneration: generation, ttlMs: 60_000 });
        expect((await watch.settle()).length).toBeGreaterThan(0); // the miss and the write did reach Redis
        for (let i = 0; i < 100; i++) {
          const read = await store.get<{ name: string }>('track:1');
          expect(read.entry?.value.name).toBe('Hells Bells');
          expect(read.generation).toBe(generation);
        }
        const many = await store.getMany(['track:1', 'track:1']);
        expect(many.map((read) => read.entry?.value)).toEqual([{ name: 'Hells Bells' }, { name: 'Hells Bells' }]);
        expect(await watch.settle()).toEqual([]);
        expect(store.stats()).toMatchObject({ l1Hits: 102, l2Reads: 1 });
      } finally {
        watch.stop();
        await tiered.close();
      }
    });

    it('fills L1 from L2 with the entry’s expiresAt, staleUntil, tags and L2 generation', async () => {
      const ns = namespace();
      const writer = new RedisStore({ client, namespace: ns });
      await writer.invalidate(['k']);
      await writer.invalidate(['k']);
      const tags = await writer.tagVersions(['Track']);
      await writer.invalidateTags(['Album']);
      const entry = {
        value: new Map([['at', new Date(0)]]),
        expiresAt: Date.now() + 60_000,
        staleUntil: Date.now() + 120_000,
        tags: { ...tags, Album: 1 },
      };
      await writer.set('k', entry, { ifGeneration: 2, ttlMs: 120_000 });
      const tiered = await openTiered(ns);
      const watch = await watchRedis(client, redis.url, ns);
      try {
        const fromL2 = await tiered.store.get('k');
        expect(fromL2).toEqual({ entry, generation: 2 });
        expect((await watch.settle()).length).toBeGreaterThan(0);
        const fromL1 = await tiered.store.get('k');
        expect(fromL1).toEqual({ entry, generation: 2 });
        expect(await watch.settle()).toEqual([]);
        // The generation served from L1 is good for a conditional write to L2.
        await expect(tiered.store.set('k', { value: 'reloaded' }, { ifGeneration: fromL1.generation })).resolves.toBe(
          true,
        );
      } finally {
        watch.stop();
        await tiered.close();
      }
    });

    it('hands out copies: mutating what was read does not change what L1 serves next', async () => {
      const tiered = await openTiered(namespace());
      try {
        await tiered.store.set('k', { value: { list: [1, 2] } }, { ifGeneration: 0 });
        const first = await tiered.store.get<{ list: number[] }>('k');
        first.entry!.value.list.push(3);
        expect((await tiered.store.get('k')).entry?.value).toEqual({ list: [1, 2] });
      } finally {
        await tiered.close();
      }
    });

    it('does not copy into L1 a value written with tags that were invalidated before the write', async () => {
      const tiered = await openTiered(namespace());
      try {
        const { store } = tiered;
        const tags = await store.tagVersions(['Track']);
        await store.invalidateTags(['Track']);
        await expect(store.set('late', { value: 'stale', tags }, { ifGeneration: 0 })).resolves.toBe(true);
        expect((await store.get('late')).entry).toBeUndefined();
        expect(store.stats().l1Entries).toBe(0);
      } finally {
        await tiered.close();
      }
    });

    it('serves a value too large for L1 from L2, and never the older value it replaced', async () => {
      const ns = namespace();
      const tiered = await openTiered(ns, { l1: new MemoryStore({ maxBytes: 4_096 }) });
      try {
        const { store } = tiered;
        await store.set('k', { value: 'small' }, { ifGeneration: 0 });
        expect((await store.get('k')).entry?.value).toBe('small');
        const big = 'x'.repeat(10_000);
        await expect(store.set('k', { value: big }, { ifGeneration: 0 })).resolves.toBe(true);
        expect((await store.get('k')).entry?.value).toBe(big);
        expect((await store.get('k')).entry?.value).toBe(big);
      } finally {
        await tiered.close();
      }
    });
  });

  describe('two processes sharing one Redis (each with its own L1 and subscriber)', () => {
    async function pair() {
      const ns = namespace();
      const a = await openTiered(ns);
      const b = await openTiered(ns);
      return { ns, a: a.store, b: b.store, close: () => Promise.all([a.close(), b.close()]) };
    }

    it("evicts a key from the other process's L1 when one process invalidates it", async () => {
      const { a, b, close } = await pair();
      try {
        await a.set('k', { value: 'old' }, { ifGeneration: 0 });
        await b.get('k');
        expect((await b.get('k')).entry?.value).toBe('old');
        expect(b.stats().l1Hits).toBe(1);
        await a.invalidate(['k']);
        await until(() => b.stats().messages === 1, 5_000, 'the invalidation message');
        await expect(b.get('k')).resolves.toEqual({ entry: undefined, generation: 1 });
        expect(a.stats().messages).toBe(0); // a ignores its own message
      } finally {
        await close();
      }
    });

    it("hides the other process's L1 entries carrying a tag invalidated in one process", async () => {
      const { a, b, close } = await pair();
      try {
        const tags = await a.tagVersions(['Track', 'Album']);
        await a.set('tagged', { value: 't', tags }, { ifGeneration: 0 });
        await a.set('untagged', { value: 'u' }, { ifGeneration: 0 });
        await b.getMany(['tagged', 'untagged']);
        expect((await b.getMany(['tagged', 'untagged'])).map((read) => read.entry?.value)).toEqual(['t', 'u']);
        await a.invalidateTags(['Album']);
        await until(() => b.stats().messages === 1, 5_000, 'the tag message');
        const hits = b.stats().l1Hits;
        expect((await b.getMany(['tagged', 'untagged'])).map((read) => read.entry?.value)).toEqual([undefined, 'u']);
        expect(b.stats().l1Hits).toBe(hits + 1);
      } finally {
        await close();
      }
    });

    it("evicts matching keys from the other process's L1 on invalidatePattern, and everything on clear", async () => {
      const { a, b, close } = await pair();
      try {
        for (const key of ['user:1', 'user:2', 'album:1']) await a.set(key, { value: key }, { ifGeneration: 0 });
        await b.getMany(['user:1', 'user:2', 'album:1']);
        await a.invalidatePattern('user:*');
        await until(() => b.stats().messages === 1, 5_000, 'the pattern message');
        expect((await b.getMany(['user:1', 'user:2', 'album:1'])).map((read) => read.entry?.value)).toEqual([
          undefined,
          undefined,
          'album:1',
        ]);
        await a.clear();
        await until(() => b.stats().messages === 2, 5_000, 'the clear message');
        expect(b.stats().l1Entries).toBe(0);
        expect((await b.get('album:1')).entry).toBeUndefined();
      } finally {
        await close();
      }
    });

    it("replaces the other process's L1 value when one process overwrites a key without a generation", async () => {
      const { a, b, close } = await pair();
      try {
        await a.set('k', { value: 1 }, { ifGeneration: 0 });
        await b.get('k');
        await a.set('k', { value: 2 });
        await until(() => b.stats().messages === 1, 5_000, 'the overwrite message');
        expect((await b.get('k')).entry?.value).toBe(2);
      } finally {
        await close();
      }
    });

    it('treats an unreadable message on its channel as a possible lost invalidation and drops L1', async () => {
      const { ns, b, close } = await pair();
      try {
        await b.set('k', { value: 1 }, { ifGeneration: 0 });
        expect(b.stats().l1Entries).toBe(1);
        await client.publish(`${ns}:l1-invalidations`, 'not json');
        await until(() => b.stats().l1Entries === 0, 5_000, 'L1 to be dropped');
        expect(b.stats().errors).toBe(1);
      } finally {
        await close();
      }
    });

    it('never serves from L1 a value older than the last invalidation, under concurrent loaders and invalidators', async () => {
      const { a, b, close } = await pair();
      try {
        let refused = 0;
        let invalidations = 0;
        let cachedRounds = 0;
        for (let round = 0; round < 40; round++) {
          const key = `race:${round}`;
          let source = 0;
          const load = async (): Promise<void> => {
            await sleep(Math.random() * 4);
            const { entry, generation } = await a.get<number>(key);
            if (entry) return;
            const loaded = source;
            await sleep(Math.random() * 3);
            if (!(await a.set(key, { value: loaded }, { ifGeneration: generation }))) refused += 1;
          };
          const change = async (): Promise<void> => {
            await sleep(Math.random() * 3);
            source += 1;
            await b.invalidate([key]);
            invalidations += 1;
          };
          await Promise.all([load(), change(), load(), change(), load(), load(), change(), load()]);
          await until(() => a.stats().messages === invalidations, 5_000, 'every invalidation to reach a');
          for (let read = 0; read < 2; read++) {
            const cached = (await a.get<number>(key)).entry?.value; // the second read, if any, from L1
            if (cached !== undefined) {
              expect(cached).toBe(source);
              cachedRounds += 1;
            }
          }
        }
        expect(refused).toBeGreaterThan(0); // the race did interleave loads and invalidations
        expect(cachedRounds).toBeGreaterThan(0); // and some rounds ended with a value cached
        expect(a.stats().l1Hits).toBeGreaterThan(0);
      } finally {
        await close();
      }
    });
  });

  describe('losing the subscription', () => {
    it('drops L1 when the subscriber is killed (CLIENT KILL), so an invalidation lost meanwhile is not served stale', async () => {
      const ns = namespace();
      const subscriber = new Redis(redis.url, { retryStrategy: () => 300 });
      const subscriberId = await subscriber.client('ID');
      const opened = [await openTiered(ns), await openTiered(ns, { subscriber })];
      const [a, b] = opened.map((tiered) => tiered.store) as [TieredStore, TieredStore];
      try {
        await a.set('k', { value: 'old' }, { ifGeneration: 0 });
        await b.get('k');
        expect((await b.get('k')).entry?.value).toBe('old');
        expect(b.stats().l1Entries).toBe(1);

        await client.client('KILL', 'ID', String(subscriberId));
        await until(() => !b.stats().l1Serving, 5_000, 'b to notice the lost connection');
        expect(b.stats()).toMatchObject({ l1Entries: 0, l1Drops: 1 });

        // Invalidated and rewritten while b cannot hear it: b reads L2, not its (dropped) L1.
        await a.invalidate(['k']);
        await a.set('k', { value: 'new' }, { ifGeneration: 1 });
        const hits = b.stats().l1Hits;
        await expect(b.get('k')).resolves.toEqual({ entry: { value: 'new' }, generation: 1 });
        expect(b.stats().l1Hits).toBe(hits);
        expect(b.stats().l1Entries).toBe(0); // nothing is filled while not subscribed

        await b.ready();
        expect(b.stats().messages).toBe(0); // the invalidation's message was indeed lost
        await expect(b.get('k')).resolves.toEqual({ entry: { value: 'new' }, generation: 1 });
        await expect(b.get('k')).resolves.toEqual({ entry: { value: 'new' }, generation: 1 });
        expect(b.stats().l1Hits).toBe(hits + 1);

        // Subscribed again: b hears invalidations again.
        await a.invalidate(['k']);
        await until(() => b.stats().messages === 1, 5_000, 'the message after reconnecting');
        expect((await b.get('k')).entry).toBeUndefined();
      } finally {
        await Promise.all(opened.map((tiered) => tiered.close()));
      }
    });

    it('stops serving L1 when the subscriber connection goes silent (no answer to the heartbeat PING)', async () => {
      const port = Number(new URL(redis.url).port || 6379);
      const proxy = await startSilenceableProxy(port);
      const ns = namespace();
      const subscriber = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 50 });
      const b = await openTiered(ns, { subscriber, heartbeatMs: 100 });
      try {
        await b.store.set('k', { value: 'old' }, { ifGeneration: 0 });
        expect(b.store.stats().l1Entries).toBe(1);
        proxy.silent = true;
        const silentAt = Date.now();
        await until(() => !b.store.stats().l1Serving, 2_000, 'the heartbeat to give up');
        expect(Date.now() - silentAt).toBeLessThan(400); // about 2 × heartbeatMs
        expect(b.store.stats()).toMatchObject({ l1Entries: 0, l1Drops: 1 });
        const writer = new RedisStore({ client, namespace: ns });
        await writer.invalidate(['k']);
        expect((await b.store.get('k')).entry).toBeUndefined();
        proxy.silent = false;
        await b.store.ready();
        expect(b.store.stats().l1Serving).toBe(true);
      } finally {
        await b.close();
        await proxy.close();
      }
    });

    it('stops trusting L1 within maxStalenessMs of its subscriber going silent, before the heartbeat gives up', async () => {
      const port = Number(new URL(redis.url).port || 6379);
      const proxy = await startSilenceableProxy(port);
      const ns = namespace();
      const subscriber = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 50 });
      const b = await openTiered(ns, { subscriber, heartbeatMs: 60_000, maxStalenessMs: 200 });
      try {
        await b.store.set('k', { value: 'old' }, { ifGeneration: 0 });
        expect((await b.store.get('k')).entry?.value).toBe('old');
        expect(b.store.stats().l1Hits).toBe(1);
        proxy.silent = true;
        const silentAt = performance.now();
        // Another process invalidates; its message cannot reach b, and b's heartbeat will not notice for a minute.
        await new RedisStore({ client, namespace: ns }).invalidate(['k']);
        let fromL1 = 0;
        for (;;) {
          const hits = b.store.stats().l1Hits;
          const read = await b.store.get('k');
          if (b.store.stats().l1Hits === hits) {
            expect(read.entry).toBeUndefined(); // read from L2: the invalidation is seen
            break;
          }
          fromL1++;
          expect(performance.now() - silentAt).toBeLessThanOrEqual(200);
          await sleep(5);
        }
        expect(fromL1).toBeGreaterThan(0); // L1 did serve while its lease held
        expect(b.store.stats()).toMatchObject({ l1Serving: true, l1Drops: 0 });
        expect(b.store.stats().leaseMisses).toBeGreaterThan(0);
      } finally {
        b.subscriber.disconnect(); // its PONGs were dropped: replies on it no longer match requests
        await sleep(20);
        await b.close();
        await proxy.close();
      }
    });
  });

  describe('a real second Node process', () => {
    let child: ChildProcess | undefined;
    const replies: Record<string, unknown>[] = [];
    let stderr = '';

    function next(type: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
      const found = replies.findIndex((reply) => reply.type === type);
      if (found !== -1) return Promise.resolve(replies.splice(found, 1)[0]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no '${type}' from the reader within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        const onMessage = (): void => {
          const index = replies.findIndex((reply) => reply.type === type);
          if (index === -1) return;
          clearTimeout(timer);
          child?.off('message', onMessage);
          resolve(replies.splice(index, 1)[0]!);
        };
        child?.on('message', onMessage);
      });
    }

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve));
        child.send({ type: 'exit' });
        await Promise.race([exited, sleep(5_000)]);
        child.kill();
      }
    });

    it('evicts the reader process’s L1 within milliseconds of invalidate() returning in the writer', async () => {
      const ns = namespace();
      child = fork(READER, [], {
        cwd: ROOT,
        execArgv: ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register'],
        env: { ...process.env, REDIS_URL: redis.url, NAMESPACE: ns },
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      child.stderr?.on('data', (data: Buffer) => {
        stderr += data.toString();
      });
      child.on('message', (message: Record<string, unknown>) => replies.push(message));
      await next('ready', 60_000);

      const writer = await openTiered(ns);
      const windows: number[] = [];
      try {
        const rounds = 250;
        for (let i = 0; i < rounds; i++) {
          const key = `window:${i % 10}`;
          const { generation } = await writer.store.get(key);
          await writer.store.set(key, { value: i }, { ifGeneration: generation, ttlMs: 60_000 });
          child.send({ type: 'load', key });
          const loaded = await next('loaded');
          expect(loaded).toMatchObject({ key, value: i, l1Hit: true });
          const evicted = next('evicted');
          await writer.store.invalidate([key]);
          const returnedAt = process.hrtime.bigint();
          const reply = await evicted;
          expect(reply).toMatchObject({ key, staleAfter: false });
          windows.push(Math.max(0, Number(BigInt(reply.at as string) - returnedAt) / 1e6));
        }
      } finally {
        await writer.close();
      }
      const sorted = [...windows].sort((x, y) => x - y);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      console.info(
        `[tiered-store] invalidation window over ${windows.length} invalidations (writer's invalidate() returned → ` +
          `reader's L1 no longer serving): p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${sorted
            .at(-1)!
            .toFixed(3)} ms`,
      );
      expect(windows).toHaveLength(250);
      expect(p99).toBeLessThan(50);
    });
  });
});
