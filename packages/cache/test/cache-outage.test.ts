// The Cache across a Redis outage: a real redis-server (started by the harness on a random port) is
// killed mid-run and restarted, with real timers and real ioredis clients (default options except a
// short reconnect delay, so the offline queue and retries are ioredis' own).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/harness/index.js';
import { Cache, type CacheOptions } from '../src/cache.js';
import { EPOCH_TAG_PREFIX } from '../src/cache-epoch.js';
import type { CacheStore } from '../src/store/cache-store.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import { TieredStore } from '../src/store/tiered-store.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Slack on top of `operationTimeoutMs` for a call that waited for a dead store (timers, event loop). */
const SLACK_MS = 150;

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The real store, counting the commands sent to it (how hard the cache leans on a dead Redis). */
function counted(store: RedisStore): { store: CacheStore; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      // stats, connection and reconnect send no command (reconnect at most a bare TCP connect).
      if (typeof value !== 'function') return value;
      if (['stats', 'connection', 'reconnect'].includes(property as string)) return value.bind(target);
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as CacheStore;
  return { store: proxy, calls: () => calls };
}

/** Polls `ready` every `everyMs` until it holds, failing after `withinMs`. */
async function eventually(ready: () => Promise<boolean> | boolean, withinMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`not ready within ${withinMs} ms`);
    await sleep(everyMs);
  }
}

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

describe('Cache when its Redis dies and comes back (real redis-server, real timers)', () => {
  let server: RedisServer;
  let dataDir: string;
  const clients: Redis[] = [];
  let run = 0;

  beforeAll(async () => {
    // Persistence on (AOF, fsync per write) so a restarted Redis still holds what was written before
    // the crash — the case where a lost invalidation would leave a stale entry behind.
    dataDir = await mkdtemp(join(tmpdir(), 'stratum-cache-outage-'));
    server = await startRedisServer({ args: ['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always'] });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(async () => {
    if (!server.running) await server.restart();
    for (const client of clients.splice(0)) client.disconnect();
  });

  /** A client with ioredis defaults (offline queue, 20 retries per command) but a short reconnect delay. */
  function client(url = server.url): Redis {
    const redis = new Redis(url, { retryStrategy: () => 100 });
    redis.on('error', () => {}); // connection errors during the outage are expected
    clients.push(redis);
    return redis;
  }

  /** A Cache on its own ioredis client — what one application process has. */
  function open(
    namespace: string,
    options: Partial<CacheOptions> = {},
    url = server.url,
  ): { cache: Cache; redis: Redis; store: RedisStore; calls: () => number; errors: string[] } {
    const redis = client(url);
    const store = new RedisStore({ client: redis, namespace: `outage${run}` });
    const { store: countedStore, calls } = counted(store);
    const errors: string[] = [];
    const cache = new Cache({ store: countedStore, namespace, onError: (_e, op) => errors.push(op), ...options });
    return { cache, redis, store, calls, errors };
  }

  it('serves the source during the outage without an exception, each call within operationTimeoutMs', async () => {
    run++;
    const { cache, redis } = open('app', { operationTimeoutMs: 100, breaker: { failureThreshold: 1000 } });
    await redis.ping();
    expect(await cache.wrap('track:1', async () => 'cached')).toBe('cached');
    await server.kill();
    for (let i = 0; i < 8; i++) {
      const { value, ms } = await timed(() => cache.wrap('track:1', async () => `source ${i}`));
      expect(value).toBe(`source ${i}`);
      expect(ms).toBeLessThan(100 + SLACK_MS); // ioredis queues the command; the cache stops waiting
    }
    expect(cache.storeState).toBe('closed'); // a threshold of 1000: every call tried the dead store
    const invalidated = await timed(() => cache.invalidate({ keys: ['track:1'], tags: ['album:1'] }));
    expect(invalidated.ms).toBeLessThan(100 + SLACK_MS);
  });

  it('stops calling a dead Redis once the circuit opens, probes it after the cooldown, and recovers after a restart', async () => {
    run++;
    const cooldownMs = 400;
    const { cache, redis, calls, errors } = open('app', {
      operationTimeoutMs: 100,
      breaker: { failureThreshold: 3, cooldownMs },
    });
    await redis.ping();
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.wrap('track:1', load)).toBe('v1');
    await server.kill();

    const before = calls();
    for (let i = 0; i < 3; i++) await cache.wrap('track:1', load); // 3 timeouts open the circuit
    expect(cache.storeState).toBe('open');
    expect(calls() - before).toBe(3);

    const open1 = calls();
    for (let i = 0; i < 50; i++) {
      const { ms } = await timed(() => cache.wrap('track:1', load));
      expect(ms).toBeLessThan(20); // the open circuit answers at once
    }
    expect(calls() - open1).toBe(0); // and the dead Redis got nothing

    await sleep(cooldownMs + 50);
    const probe = calls();
    const during = await Promise.all(Array.from({ length: 10 }, () => cache.wrap('track:1', load)));
    expect(during.every((value) => value.startsWith('v'))).toBe(true);
    expect(calls() - probe).toBe(1); // one probe for 10 concurrent calls; it fails: open again
    expect(cache.storeState).toBe('open');

    await server.restart();
    await eventually(async () => {
      await cache.wrap('track:1', load);
      return cache.storeState === 'closed';
    });
    const value = await cache.wrap('track:1', load); // cached again (a probe's miss stored its value)
    const loadsBefore = loads;
    expect(await cache.wrap('track:1', load)).toBe(value);
    expect(loads).toBe(loadsBefore);

    // Every failure was counted and reported: 3 before opening, and at least the failed probe.
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(cache.stats().errors).toBe(errors.length);
    expect(cache.stats().byPrefix.track?.errors).toBe(errors.length);
    expect(errors).toContain('get');
  });

  it('never serves a value invalidated during the outage after Redis is back, in this process or another', async () => {
    run++;
    const source = new Map([
      ['album:1', 'album 1 v1'],
      ['album:2', 'album 2 v1'],
      ['album:3', 'album 3 v1'],
    ]);
    const loaderOf = (key: string, loads: string[]) => async () => {
      loads.push(key);
      return source.get(key) as string;
    };
    const options = { operationTimeoutMs: 100, breaker: { failureThreshold: 2, cooldownMs: 300 } };
    const a = open('app', options); // the process that writes and invalidates
    const b = open('app', options); // another process: own ioredis client, same namespace
    await Promise.all([a.redis.ping(), b.redis.ping()]);
    const loadsA: string[] = [];
    const loadsB: string[] = [];
    for (const key of ['album:1', 'album:2', 'album:3']) {
      await b.cache.wrap(key, loaderOf(key, loadsB), { tags: [`${key}:tracks`] });
      expect(await a.cache.wrap(key, loaderOf(key, loadsA), { tags: [`${key}:tracks`] })).toBe(source.get(key));
    }
    expect(loadsA).toEqual([]); // A was served what B cached

    await server.kill();
    source.set('album:1', 'album 1 v2');
    source.set('album:2', 'album 2 v2');
    await a.cache.invalidate({ keys: ['album:1'] }); // lost: Redis is down (no exception)
    await a.cache.invalidate({ tags: ['album:2:tracks'] }); // lost too
    expect(a.cache.epochBumpPending).toBe(true);
    expect(await a.cache.wrap('album:1', loaderOf('album:1', loadsA))).toBe('album 1 v2'); // from the source

    await server.restart(); // with its data: the old entries are back
    const admin = client();
    // album:2's entry is back (a tag invalidation bumps a version, it deletes no entry). album:1's may
    // already be gone: A's ioredis replays its queued commands as soon as it reconnects, which races
    // this check; either way the old value must never be served.
    const entryKey = a.store.keys.entry('app:album:2');
    expect(await admin.exists(entryKey)).toBe(1);

    // A, read after read while it reconnects: the old value never comes back.
    const seenByA: string[] = [];
    await eventually(async () => {
      seenByA.push(await a.cache.wrap('album:1', loaderOf('album:1', loadsA)));
      return a.cache.storeState === 'closed' && !a.cache.epochBumpPending;
    });
    expect(new Set(seenByA)).toEqual(new Set(['album 1 v2']));

    // B never reads album:2 from A's process; it cached the old value itself before the outage.
    await b.redis.ping();
    expect(await b.cache.wrap('album:2', loaderOf('album:2', loadsB), { tags: ['album:2:tracks'] })).toBe('album 2 v2');
    expect(await b.cache.wrap('album:1', loaderOf('album:1', loadsB))).toBe('album 1 v2');
    // The epoch dropped the whole namespace: album:3 (never invalidated) reloads once, then is cached.
    loadsB.length = 0;
    expect(await b.cache.wrap('album:3', loaderOf('album:3', loadsB), { tags: ['album:3:tracks'] })).toBe('album 3 v1');
    expect(await b.cache.wrap('album:3', loaderOf('album:3', loadsB), { tags: ['album:3:tracks'] })).toBe('album 3 v1');
    expect(loadsB).toEqual(['album:3']);
    // The first invalidation failed; the second failed at the epoch bump the first one left owed.
    expect(a.errors.slice(0, 2)).toEqual(['invalidate', 'epoch']);
  });

  it('pays the epoch bump owed by a lost invalidation in the background, without waiting for a call', async () => {
    run++;
    const a = open('app', { operationTimeoutMs: 100, breaker: { failureThreshold: 1, cooldownMs: 200 } });
    const b = open('app');
    await Promise.all([a.redis.ping(), b.redis.ping()]);
    await a.cache.wrap('user:1', async () => 'old');
    await server.kill();
    // A timed-out command stays in ioredis' offline queue and may still run after the restart; with the
    // circuit open first, the invalidation never leaves the process: it is lost for sure.
    await a.cache.wrap('other', async () => 'x');
    expect(a.cache.storeState).toBe('open');
    await a.cache.invalidate({ keys: ['user:1'] });
    expect(a.cache.epochBumpPending).toBe(true);
    await server.restart();
    await eventually(() => !a.cache.epochBumpPending); // A makes no call: its timer bumps the epoch
    await b.redis.ping();
    expect(await b.cache.wrap('user:1', async () => 'new')).toBe('new');
  });

  it('does not write back a value loaded while an invalidation was lost, even when Redis comes back empty', async () => {
    run++;
    // No persistence: the restarted Redis is empty, so the epoch counter starts over at 0.
    const volatile = await startRedisServer();
    try {
      const a = open(
        'app',
        { operationTimeoutMs: 100, breaker: { failureThreshold: 1, cooldownMs: 200 } },
        volatile.url,
      );
      await a.redis.ping();
      await a.store.invalidateTags([`${EPOCH_TAG_PREFIX}app`]); // epoch 1, as after an earlier outage
      const gate = deferred<string>();
      const slowRead = a.cache.wrap('album:1', () => gate.promise); // reads generation 0 and epoch 1, then loads OLD
      await sleep(20);
      await volatile.kill();
      await a.cache.wrap('other', async () => 'x'); // opens the circuit: the invalidation is not even sent
      expect(a.cache.storeState).toBe('open');
      await a.cache.invalidate({ keys: ['album:1'] }); // lost
      await volatile.restart();
      await a.redis.ping();
      await eventually(() => !a.cache.epochBumpPending && a.cache.storeState === 'closed'); // epoch 0 → 1 again
      gate.resolve('old'); // the load returns; stored now (generation 0, epoch 1 — both match) it would stick
      expect(await slowRead).toBe('old');
      expect(await a.cache.wrap('album:1', async () => 'new')).toBe('new');
    } finally {
      await volatile.stop();
    }
  });

  for (const tiered of [false, true]) {
    it(`serves hits again within 1 s of Redis accepting connections, without a stale read (${tiered ? 'TieredStore' : 'RedisStore'}, ioredis retrying every 2 s)`, async () => {
      run++;
      // A client whose next reconnection attempt is 2 s away when Redis comes back: without help,
      // the cache would wait for it (and then for its breaker's cooldown).
      const slowRetry = { retryStrategy: () => 2_000 };
      const redis = new Redis(server.url, slowRetry);
      redis.on('error', () => {});
      clients.push(redis);
      const subscriber = new Redis(server.url, slowRetry);
      subscriber.on('error', () => {});
      clients.push(subscriber);
      const l2 = new RedisStore({ client: redis, namespace: `outage${run}` });
      const store = tiered ? new TieredStore({ l1: new MemoryStore(), l2, subscriber, publisher: redis }) : l2;
      if (store instanceof TieredStore) await store.ready();
      const cache = new Cache({ store, namespace: 'app', onError: () => {} });
      let version = 1;
      let loads = 0;
      const load = async () => {
        loads++;
        return version;
      };
      expect(await cache.wrap('track:1', load)).toBe(1);
      expect(await cache.wrap('track:1', load)).toBe(1); // a hit
      await server.kill();
      for (let i = 0; i < 8; i++) await cache.wrap('track:1', load); // the circuit opens
      expect(cache.storeState).toBe('open');
      version = 2;
      await cache.invalidate({ keys: ['track:1'] }); // lost: Redis is down (the AOF still holds version 1)
      // Restart just after ioredis scheduled its next attempt, 2 s away.
      await new Promise<void>((resolve) => redis.once('reconnecting', () => resolve()));
      await server.restart();
      const upAt = performance.now();
      const seen: number[] = [];
      let firstHitMs: number | undefined;
      while (performance.now() - upAt < 5_000) {
        const before = loads;
        seen.push(await cache.wrap('track:1', load));
        if (loads === before) {
          firstHitMs = performance.now() - upAt;
          break;
        }
        await sleep(5);
      }
      console.info(
        `[cache-outage] ${store.name}: first hit ${firstHitMs?.toFixed(0)} ms after Redis accepted connections`,
      );
      expect(seen.every((value) => value === 2)).toBe(true); // never the version invalidated during the outage
      expect(firstHitMs).toBeDefined();
      expect(firstHitMs!).toBeLessThanOrEqual(1_000);
      if (store instanceof TieredStore) await store.close();
    });
  }
});
