import { InvalidArgumentError } from '@stratum/core';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRedis, useRedisCluster, useRedisPrefix } from '../../../test/harness/index.js';
import {
  CacheStoreUnavailableError,
  MAX_TTL_MS,
  RedisKeys,
  RedisStore,
  type RedisStoreOptions,
  redisSlot,
} from '../src/index.js';
import { describeCacheStoreContract } from './contract/describe-cache-store-contract.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the entry keys of `store` on one node (SCAN, like the store). */
async function countEntries(node: Redis, store: RedisStore): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', store.keys.entryPattern('*'), 'COUNT', 500);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * 50 rounds of concurrent loaders (get → read the source → conditional set) racing invalidators
 * (change the source → invalidate). Returns, per round, the source's final version and what the
 * cache holds afterwards.
 */
async function raceLoadersAndInvalidators(
  writer: RedisStore,
  invalidator: RedisStore,
): Promise<{ outcomes: { source: number; cached: unknown }[]; refused: number }> {
  const outcomes: { source: number; cached: unknown }[] = [];
  let refused = 0;
  for (let round = 0; round < 50; round++) {
    const key = `race:${round}`;
    let source = 0;
    const load = async (): Promise<void> => {
      const { generation } = await writer.get<number>(key);
      const loaded = source;
      await sleep(Math.random() * 3);
      if (!(await writer.set(key, { value: loaded }, { ifGeneration: generation }))) refused += 1;
    };
    const change = async (): Promise<void> => {
      await sleep(Math.random() * 3);
      source += 1;
      await invalidator.invalidate([key]);
    };
    await Promise.all([load(), change(), load(), change(), load(), load(), change(), load()]);
    outcomes.push({ source, cached: (await writer.get<number>(key)).entry?.value });
  }
  return { outcomes, refused };
}

describeWithRedis('RedisStore on a standalone Redis', () => {
  const redis = useRedisPrefix();
  let client: Redis;
  let run = 0;
  const namespace = (): string => `${redis.prefix}store${++run}`;
  const open = (options: Partial<RedisStoreOptions> = {}): RedisStore =>
    new RedisStore({ client, namespace: namespace(), ...options });

  beforeAll(async () => {
    client = new Redis(redis.url);
    await client.ping();
  });

  afterAll(async () => {
    await client.quit();
  });

  describeCacheStoreContract('RedisStore (standalone)', async () => ({ store: open() }));

  describe('options', () => {
    it.each([
      ['an empty namespace', { namespace: '' }],
      ['a namespace with a hash tag brace', { namespace: 'app{x}' }],
      ['a zero generationTtlMs', { generationTtlMs: 0 }],
      ['a ttlJitter of 1 (100 %)', { ttlJitter: 1 }],
      ['a negative ttlJitter', { ttlJitter: -0.1 }],
      ['a fractional scanCount', { scanCount: 1.5 }],
    ])('rejects %s with InvalidArgumentError', (_, options) => {
      expect(() => new RedisStore({ client, namespace: 'app', ...options })).toThrow(InvalidArgumentError);
      expect(() => new RedisStore({ client, namespace: 'app', ...options })).toThrow(/must be/);
    });

    it('rejects a missing client with InvalidArgumentError', () => {
      expect(() => new RedisStore({ client: undefined as unknown as Redis, namespace: 'app' })).toThrow(
        /options\.client must be an ioredis Redis or Cluster client/,
      );
    });

    it('rejects a pattern invalidation on a Cluster that ends before it was ready with CacheStoreUnavailableError', async () => {
      // Nobody listens on port 1, and the client gives up at once: 'end' before 'ready'.
      const dead = new Cluster([{ host: '127.0.0.1', port: 1 }], {
        clusterRetryStrategy: () => null,
        lazyConnect: true,
      });
      dead.on('error', () => {});
      const store = new RedisStore({ client: dead, namespace: 'app' });
      const error = await store.invalidatePattern('track:*').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CacheStoreUnavailableError);
      expect(error).toMatchObject({ code: 'E_CACHE_STORE_UNAVAILABLE', reason: 'cluster-ended', store: 'RedisStore' });
      dead.disconnect();
    });

    it('rejects a client whose keyPrefix holds a hash tag brace', () => {
      const prefixed = new Redis(redis.url, { lazyConnect: true, keyPrefix: 'x{y}:' });
      expect(() => new RedisStore({ client: prefixed, namespace: 'app' })).toThrow(InvalidArgumentError);
      prefixed.disconnect();
    });

    it('rejects a negative ifGeneration or ttlMs, writing nothing', async () => {
      const store = open();
      await expect(store.set('k', { value: 1 }, { ifGeneration: -1 })).rejects.toThrow(InvalidArgumentError);
      await expect(store.set('k', { value: 1 }, { ttlMs: -5 })).rejects.toThrow(InvalidArgumentError);
      expect((await store.get('k')).entry).toBeUndefined();
    });

    it('stores an entry for the longest TTL Redis and JavaScript both honour, and refuses a longer or sub-ms one', async () => {
      const store = open();
      // Redis takes PX up to 2^63 - 1 ms minus now ("invalid expire time" above) and only integers;
      // MAX_TTL_MS (2^53 - 1) is within both, so the entry is really written.
      expect(await store.set('long', { value: 1 }, { ttlMs: MAX_TTL_MS })).toBe(true);
      expect((await store.get<number>('long')).entry?.value).toBe(1);
      for (const ttlMs of [0, 0.5, MAX_TTL_MS + 2, 1e19]) {
        await expect(store.set('k', { value: 1 }, { ttlMs })).rejects.toThrow(InvalidArgumentError);
      }
      await expect(store.lock('k', 0.5)).rejects.toThrow(InvalidArgumentError);
      expect((await store.get('k')).entry).toBeUndefined();
    });
  });

  describe('Redis specifics', () => {
    it('stores an entry and its generation in one slot, and all tag versions in one slot', () => {
      const keys = new RedisKeys('app');
      for (const key of ['users:42', '', '}starts-with-brace', 'a{b}c', 'ünï']) {
        expect(redisSlot(keys.entry(key))).toBe(redisSlot(keys.generation(key)));
      }
      expect(new Set(['Track', 'Album', 'Genre'].map((tag) => redisSlot(keys.tag(tag)))).size).toBe(1);
      expect(redisSlot('foo')).toBe(12182);
      expect(redisSlot('{user1000}.following')).toBe(redisSlot('{user1000}.followers'));
    });

    it('works with keys that are empty or hold braces', async () => {
      const store = open();
      for (const key of ['', '}', '{', 'a{b}c', '{}']) {
        const { generation } = await store.get(key);
        await expect(store.set(key, { value: key }, { ifGeneration: generation })).resolves.toBe(true);
        expect((await store.get(key)).entry?.value).toBe(key);
      }
      await expect(store.invalidate(['', '}', '{', 'a{b}c', '{}'])).resolves.toBe(5);
    });

    it('lets Redis expire the entry at ttlMs (PX)', async () => {
      const store = open();
      await store.set('k', { value: 1 }, { ttlMs: 5_000 });
      const pttl = await client.pttl(store.keys.entry('k'));
      expect(pttl).toBeGreaterThan(4_000);
      expect(pttl).toBeLessThanOrEqual(5_000);
    });

    it('keeps an entry in Redis at least until its staleUntil, even with a shorter ttlMs', async () => {
      const store = open();
      await store.set('k', { value: 1, expiresAt: Date.now() + 1_000, staleUntil: Date.now() + 20_000 }, { ttlMs: 10 });
      expect(await client.pttl(store.keys.entry('k'))).toBeGreaterThan(15_000);
    });

    it('keeps an entry without ttlMs or expiry until it is evicted (no TTL)', async () => {
      const store = open();
      await store.set('k', { value: 1 });
      expect(await client.pttl(store.keys.entry('k'))).toBe(-1);
    });

    it('spreads TTLs with ttlJitter, within ±jitter of ttlMs', async () => {
      const store = open({ ttlJitter: 0.1 });
      const keys = Array.from({ length: 100 }, (_, i) => `jitter:${i}`);
      await store.setMany(keys.map((key) => ({ key, entry: { value: 1 }, options: { ttlMs: 100_000 } })));
      const pttls = await Promise.all(keys.map((key) => client.pttl(store.keys.entry(key))));
      for (const pttl of pttls) {
        expect(pttl).toBeGreaterThanOrEqual(90_000 - 2_000); // time passed since the write
        expect(pttl).toBeLessThanOrEqual(110_000);
      }
      expect(Math.max(...pttls) - Math.min(...pttls)).toBeGreaterThan(5_000);
      await store.set('single', { value: 1 }, { ttlMs: 100_000 });
      const single = await client.pttl(store.keys.entry('single'));
      expect(single).toBeGreaterThanOrEqual(88_000);
      expect(single).toBeLessThanOrEqual(110_000);
    });

    it('keeps a generation for generationTtlMs after an invalidation', async () => {
      const store = open({ generationTtlMs: 60_000 });
      await store.invalidate(['k']);
      const pttl = await client.pttl(store.keys.generation('k'));
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
    });

    it('reads a generation that expired as 0 — a write that read the old generation is refused', async () => {
      const store = open({ generationTtlMs: 50 });
      await store.invalidate(['k']);
      const { generation } = await store.get('k');
      expect(generation).toBe(1);
      await sleep(120);
      expect((await store.get('k')).generation).toBe(0);
      await expect(store.set('k', { value: 'late' }, { ifGeneration: generation })).resolves.toBe(false);
    });

    it('does not widen a pattern with glob specials in the namespace', async () => {
      const base = `${redis.prefix}glob${++run}`;
      const star = new RedisStore({ client, namespace: `${base}a*` });
      const starVictim = new RedisStore({ client, namespace: `${base}ab` });
      const bracket = new RedisStore({ client, namespace: `${base}[ab]` });
      const bracketVictim = new RedisStore({ client, namespace: `${base}a` });
      const question = new RedisStore({ client, namespace: `${base}?` });
      const questionVictim = new RedisStore({ client, namespace: `${base}x` });
      for (const store of [star, starVictim, bracket, bracketVictim, question, questionVictim]) {
        await store.set('k', { value: store.keys.namespace });
      }
      await expect(star.invalidatePattern('*')).resolves.toBe(1);
      await expect(bracket.invalidatePattern('*')).resolves.toBe(1);
      await question.clear();
      expect((await starVictim.get('k')).entry?.value).toBe(`${base}ab`);
      expect((await bracketVictim.get('k')).entry?.value).toBe(`${base}a`);
      expect((await questionVictim.get('k')).entry?.value).toBe(`${base}x`);
      expect((await star.get('k')).entry).toBeUndefined();
      expect((await question.get('k')).entry).toBeUndefined();
    });

    it('does not widen a pattern with glob specials in a key', async () => {
      const store = open();
      await store.setMany(['a[1]', 'a1', 'b\\*', 'b\\x', 'c?', 'cx'].map((key) => ({ key, entry: { value: key } })));
      await expect(store.invalidatePattern('a[1]')).resolves.toBe(1);
      await expect(store.invalidatePattern('b\\*')).resolves.toBe(2); // `*` is always the wildcard
      const reads = await store.getMany(['a[1]', 'a1', 'c?', 'cx']);
      expect(reads.map((read) => read.entry?.value)).toEqual([undefined, 'a1', 'c?', 'cx']);
    });

    it('does not clear a namespace that merely starts with this one', async () => {
      const base = `${redis.prefix}nested${++run}`;
      const outer = new RedisStore({ client, namespace: base });
      const inner = new RedisStore({ client, namespace: `${base}:sub` });
      await outer.set('k', { value: 'outer' });
      await inner.set('k', { value: 'inner' });
      await outer.clear();
      expect((await outer.get('k')).entry).toBeUndefined();
      expect((await inner.get('k')).entry?.value).toBe('inner');
    });

    it('clear() bumps generations, so a load that started before it cannot write back', async () => {
      const store = open();
      await store.set('k', { value: 'old' });
      const { generation } = await store.get('k');
      await store.clear();
      await expect(store.set('k', { value: 'old' }, { ifGeneration: generation })).resolves.toBe(false);
    });

    it('invalidates a pattern over more keys than one SCAN batch', async () => {
      const store = open({ scanCount: 10 });
      const keys = Array.from({ length: 250 }, (_, i) => `many:${i}`);
      await store.setMany(keys.map((key) => ({ key, entry: { value: key } })));
      await store.set('other', { value: 'kept' });
      await expect(store.invalidatePattern('many:*')).resolves.toBe(250);
      expect((await store.getMany(keys)).every((read) => read.entry === undefined && read.generation === 1)).toBe(true);
      expect((await store.get('other')).entry?.value).toBe('kept');
    });

    it('reads a corrupt entry as a miss and counts an error', async () => {
      const store = open();
      await client.set(store.keys.entry('k'), Buffer.from([0xc1, 0xff, 0x00]));
      await expect(store.get('k')).resolves.toEqual({ entry: undefined, generation: 0 });
      expect(store.stats().errors).toBe(1);
    });

    it('works through a client with a keyPrefix', async () => {
      const prefixed = new Redis(redis.url, { keyPrefix: `${redis.prefix}kp:` });
      try {
        const store = new RedisStore({ client: prefixed, namespace: 'app' });
        await store.setMany([
          { key: 'a:1', entry: { value: 1 } },
          { key: 'a:2', entry: { value: 2 } },
          { key: 'b:1', entry: { value: 3 } },
        ]);
        expect(await client.exists(`${redis.prefix}kp:${store.keys.entry('a:1')}`)).toBe(1);
        await expect(store.invalidatePattern('a:*')).resolves.toBe(2);
        const reads = await store.getMany(['a:1', 'a:2', 'b:1']);
        expect(reads.map((read) => [read.entry?.value, read.generation])).toEqual([
          [undefined, 1],
          [undefined, 1],
          [3, 0],
        ]);
      } finally {
        await prefixed.quit();
      }
    });

    it('never leaves an entry older than the last invalidation under concurrent loaders and invalidators', async () => {
      const ns = namespace();
      const other = new Redis(redis.url);
      try {
        const { outcomes, refused } = await raceLoadersAndInvalidators(
          new RedisStore({ client, namespace: ns }),
          new RedisStore({ client: other, namespace: ns }),
        );
        expect(refused).toBeGreaterThan(0); // the race did interleave loads and invalidations
        for (const { source, cached } of outcomes) if (cached !== undefined) expect(cached).toBe(source);
      } finally {
        await other.quit();
      }
    });
  });

  describe('client ownership and failures', () => {
    it('close() leaves a client it was given open', async () => {
      const store = open();
      await store.close();
      expect(client.status).toBe('ready');
      await expect(client.ping()).resolves.toBe('PONG');
    });

    it('close() quits the client with ownsClient', async () => {
      const owned = new Redis(redis.url);
      const store = new RedisStore({ client: owned, namespace: namespace(), ownsClient: true });
      await store.set('k', { value: 1 });
      await store.close();
      expect(owned.status).toBe('end');
    });

    it('rejects operations and counts errors when Redis is unreachable', async () => {
      const down = new Redis({
        host: '127.0.0.1',
        port: 1,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      down.on('error', () => {});
      const store = new RedisStore({ client: down, namespace: 'app' });
      await expect(store.get('k')).rejects.toThrow();
      await expect(store.setMany([{ key: 'k', entry: { value: 1 } }])).rejects.toThrow();
      await expect(store.invalidatePattern('*')).rejects.toThrow();
      expect(store.stats()).toEqual({ name: 'redis', errors: 3 });
      down.disconnect();
    });

    it('rejects a value the codec refuses, counting the error', async () => {
      const store = open();
      await expect(store.setMany([{ key: 'k', entry: { value: Symbol('x') } }])).rejects.toMatchObject({
        code: 'E_CACHE_VALUE',
      });
      expect(store.stats().errors).toBe(1);
    });
  });
});

describeWithRedis('RedisStore on a 3-master Redis Cluster', () => {
  const cluster = useRedisCluster({ masters: 3 });
  let client: Cluster;
  let run = 0;
  const open = (options: Partial<RedisStoreOptions> = {}): RedisStore =>
    new RedisStore({ client, namespace: `cluster:store${++run}`, ...options });

  beforeAll(async () => {
    client = new Cluster([...cluster.nodes]);
    await client.ping();
  });

  afterAll(async () => {
    await client.quit();
  });

  describeCacheStoreContract('RedisStore (Cluster)', async () => ({ store: open() }));

  describe('Cluster specifics', () => {
    it('computes the same slots as the cluster (CLUSTER KEYSLOT)', async () => {
      const keys = new RedisKeys('app');
      for (const key of [keys.entry('users:42'), keys.generation(''), keys.tag('Track'), 'foo', 'ünï{x}']) {
        expect(await client.cluster('KEYSLOT', key)).toBe(redisSlot(key));
      }
    });

    it('spreads one namespace over every master, yet getMany and setMany across them never CROSSSLOT', async () => {
      const store = open();
      const keys = Array.from({ length: 90 }, (_, i) => `track:${i}`);
      const written = await store.setMany(
        keys.map((key, i) => ({ key, entry: { value: i }, options: { ttlMs: 60_000 } })),
      );
      expect(written.every(Boolean)).toBe(true);
      const perMaster = await Promise.all(client.nodes('master').map((node) => countEntries(node, store)));
      expect(perMaster).toHaveLength(3);
      for (const count of perMaster) expect(count).toBeGreaterThan(0);
      expect(perMaster.reduce((a, b) => a + b, 0)).toBe(90);
      const reads = await store.getMany([...keys, 'missing']);
      expect(reads.map((read) => read.entry?.value)).toEqual([...keys.map((_, i) => i), undefined]);
      const conditional = await store.setMany(
        keys.map((key, i) => ({ key, entry: { value: -i }, options: { ifGeneration: i % 2 } })),
      );
      expect(conditional).toEqual(keys.map((_, i) => i % 2 === 0));
      expect(store.stats().errors).toBe(0);
    });

    it('invalidatePattern scans every master', async () => {
      const store = open({ scanCount: 7 });
      const keys = Array.from({ length: 60 }, (_, i) => `album:${i}`);
      await store.setMany(keys.map((key) => ({ key, entry: { value: key } })));
      await store.set('artist:1', { value: 'kept' });
      await expect(store.invalidatePattern('album:*')).resolves.toBe(60);
      const perMaster = await Promise.all(client.nodes('master').map((node) => countEntries(node, store)));
      expect(perMaster.reduce((a, b) => a + b, 0)).toBe(1);
      const reads = await store.getMany(keys);
      expect(reads.every((read) => read.entry === undefined && read.generation === 1)).toBe(true);
      expect((await store.get('artist:1')).entry?.value).toBe('kept');
    });

    it('invalidates keys and tags of entries on every master in one call', async () => {
      const store = open();
      const keys = Array.from({ length: 30 }, (_, i) => `genre:${i}`);
      const tags = await store.tagVersions(['Genre', 'Track']);
      await store.setMany(keys.map((key) => ({ key, entry: { value: key, tags } })));
      await store.invalidateTags(['Genre', 'Track', 'Genre']);
      expect(await store.tagVersions(['Genre', 'Track'])).toEqual({ Genre: 1, Track: 1 });
      expect((await store.getMany(keys)).every((read) => read.entry === undefined)).toBe(true);
      await expect(store.invalidate(keys)).resolves.toBe(30);
      expect((await store.getMany(keys)).every((read) => read.generation === 1)).toBe(true);
    });

    it('clear() empties the namespace on every master and leaves other namespaces alone', async () => {
      const store = open();
      const neighbour = open();
      await store.setMany(Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, entry: { value: i } })));
      await neighbour.set('k0', { value: 'neighbour' });
      await store.clear();
      const perMaster = await Promise.all(client.nodes('master').map((node) => countEntries(node, store)));
      expect(perMaster).toEqual([0, 0, 0]);
      expect((await neighbour.get('k0')).entry?.value).toBe('neighbour');
    });

    it('waits for a Cluster client that is still connecting', async () => {
      const lazy = new Cluster([...cluster.nodes], { lazyConnect: true });
      try {
        const store = new RedisStore({ client: lazy, namespace: `cluster:lazy${++run}` });
        await expect(store.invalidatePattern('*')).resolves.toBe(0);
        await store.setMany([{ key: 'a', entry: { value: 1 } }]);
        expect((await store.getMany(['a']))[0]?.entry?.value).toBe(1);
      } finally {
        await lazy.quit();
      }
    });

    it('never leaves an entry older than the last invalidation under concurrent loaders and invalidators', async () => {
      const namespace = `cluster:race${++run}`;
      const other = new Cluster([...cluster.nodes]);
      try {
        const { outcomes, refused } = await raceLoadersAndInvalidators(
          new RedisStore({ client, namespace }),
          new RedisStore({ client: other, namespace }),
        );
        expect(refused).toBeGreaterThan(0); // the race did interleave loads and invalidations
        for (const { source, cached } of outcomes) if (cached !== undefined) expect(cached).toBe(source);
      } finally {
        await other.quit();
      }
    });
  });
});
