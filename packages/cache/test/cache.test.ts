import { InvalidArgumentError } from '@stratum/core';
import { describe, expect, it } from 'vitest';
import { Cache } from '../src/cache.js';
import { EPOCH_TAG_PREFIX } from '../src/cache-epoch.js';
import { CacheKeyError } from '../src/errors/cache-key-error.js';
import { CacheStoreTimeoutError } from '../src/errors/cache-store-timeout-error.js';
import type { CacheStore } from '../src/store/cache-store.js';
import { MemoryStore } from '../src/store/memory-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function newCache(
  store: CacheStore = new MemoryStore(),
  options: Partial<ConstructorParameters<typeof Cache>[0]> = {},
) {
  return new Cache({ store, namespace: 'test', ...options });
}

/**
 * A store whose backend can be switched off: every call fails while `down` (what a dead Redis looks
 * like to the cache layer). It wraps a real MemoryStore; the real outage, with a killed redis-server,
 * is tested with the Redis store.
 */
function switchableStore() {
  const inner = new MemoryStore();
  const state = { down: false, hang: false, calls: 0 };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'inProcess') return false; // it stands for a remote backend: the cache times it out
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'stats' || property === 'name') return value;
      return (...args: unknown[]) => {
        state.calls++;
        if (state.hang) return new Promise(() => {}); // a backend that never answers
        if (state.down) return Promise.reject(new Error('backend down'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as CacheStore;
  return { store, state };
}

describe('Cache', () => {
  describe('read-through', () => {
    it('calls the source on a miss, then answers from the cache', async () => {
      const cache = newCache();
      let loads = 0;
      const load = async () => ({ id: 42, loads: ++loads });
      expect(await cache.wrap('track:42', load)).toEqual({ id: 42, loads: 1 });
      expect(await cache.wrap('track:42', load)).toEqual({ id: 42, loads: 1 });
      expect(loads).toBe(1);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1, hitRatio: 0.5 });
    });

    it('runs the source once for concurrent misses of one key (single-flight)', async () => {
      const cache = newCache();
      const gate = deferred<string>();
      let loads = 0;
      const calls = Array.from({ length: 20 }, () =>
        cache.wrap('slow', () => {
          loads++;
          return gate.promise;
        }),
      );
      gate.resolve('value');
      expect(await Promise.all(calls)).toEqual(Array(20).fill('value'));
      expect(loads).toBe(1);
    });

    it('does not cache a value the condition refuses', async () => {
      const cache = newCache();
      let loads = 0;
      const load = async () => {
        loads++;
        return null;
      };
      await cache.wrap('missing', load, { condition: (value) => value !== null });
      await cache.wrap('missing', load, { condition: (value) => value !== null });
      expect(loads).toBe(2);
    });

    it('expires entries after their TTL (real timers)', async () => {
      const cache = newCache();
      let loads = 0;
      await cache.wrap('short', async () => ++loads, { ttlMs: 40 });
      await sleep(60);
      expect(await cache.wrap('short', async () => ++loads, { ttlMs: 40 })).toBe(2);
    });

    it('serves the stale value while ONE refresh runs, then the new value', async () => {
      const cache = newCache();
      await cache.wrap('swr', async () => 'old', { ttlMs: 30, staleWhileRevalidateMs: 5000 });
      await sleep(50);
      const gate = deferred<string>();
      let refreshes = 0;
      const refresh = () => {
        refreshes++;
        return gate.promise;
      };
      const served = await Promise.all(
        Array.from({ length: 5 }, () => cache.wrap('swr', refresh, { ttlMs: 30_000, staleWhileRevalidateMs: 5000 })),
      );
      expect(served).toEqual(Array(5).fill('old'));
      expect(refreshes).toBe(1);
      gate.resolve('new');
      await sleep(10);
      expect(await cache.wrap('swr', refresh, { ttlMs: 30_000 })).toBe('new');
      expect(cache.stats().staleServed).toBe(5);
    });
  });

  describe('invalidation never loses to a slow reader', () => {
    it('a value loaded before an invalidation of its key is not stored after it', async () => {
      const cache = newCache();
      const gate = deferred<string>();
      const slowRead = cache.wrap('album:1', () => gate.promise); // the reader misses and loads the OLD row
      await sleep(5);
      await cache.invalidate({ keys: ['album:1'] }); // the writer commits and invalidates
      gate.resolve('old'); // then the reader's load returns
      expect(await slowRead).toBe('old');
      expect(await cache.wrap('album:1', async () => 'new')).toBe('new'); // the old value was not written back
    });

    it('a value loaded before an invalidation of its tag is not served after it', async () => {
      const cache = newCache();
      const gate = deferred<string>();
      const slowRead = cache.wrap('track:7', () => gate.promise, { tags: ['album:1'] });
      await sleep(5);
      await cache.invalidate({ tags: ['album:1'] });
      gate.resolve('old');
      await slowRead;
      expect(await cache.wrap('track:7', async () => 'new', { tags: ['album:1'] })).toBe('new');
    });

    it('a read that starts after an invalidation returned does not share a load that began before it', async () => {
      const cache = newCache();
      const gate = deferred<string>();
      const slowRead = cache.wrap('album:1', () => gate.promise); // began reading the OLD row
      await sleep(5);
      await cache.invalidate({ keys: ['album:1'] }); // the writer's invalidation returns
      let loads = 0;
      const laterRead = cache.wrap('album:1', async () => {
        loads++;
        return 'new';
      });
      await sleep(5);
      gate.resolve('old');
      expect(await slowRead).toBe('old');
      expect(await laterRead).toBe('new'); // it waited for the old load, then loaded again
      expect(loads).toBe(1);
    });

    it('invalidates by tag and by pattern', async () => {
      const cache = newCache();
      await cache.wrap('track:1', async () => 1, { tags: ['album:1'] });
      await cache.wrap('track:2', async () => 2, { tags: ['album:2'] });
      await cache.wrap('search:rock:s1', async () => 'a');
      await cache.wrap('search:jazz:s1', async () => 'b');
      await cache.wrap('search:rock:s2', async () => 'c');
      await cache.invalidate({ tags: ['album:1'], patterns: ['search:*:s1'] });
      expect(await cache.wrap('track:1', async () => 10, { tags: ['album:1'] })).toBe(10);
      expect(await cache.wrap('track:2', async () => 20, { tags: ['album:2'] })).toBe(2);
      expect(await cache.wrap('search:rock:s1', async () => 'A')).toBe('A');
      expect(await cache.wrap('search:jazz:s1', async () => 'B')).toBe('B');
      expect(await cache.wrap('search:rock:s2', async () => 'C')).toBe('c');
    });
  });

  describe('a failing store', () => {
    it('falls through to the source without an exception, then stops calling the store, then recovers', async () => {
      const { store, state } = switchableStore();
      const errors: string[] = [];
      const cache = newCache(store, {
        breaker: { failureThreshold: 3, cooldownMs: 50 },
        onError: (_e, op) => errors.push(op),
      });
      await cache.wrap('k', async () => 'cached');
      state.down = true;
      for (let i = 0; i < 10; i++) {
        expect(await cache.wrap('k', async () => 'from source')).toBe('from source');
      }
      expect(cache.storeState).toBe('open');
      expect(state.calls).toBeLessThan(2 + 10); // the open circuit stopped calling the dead store
      expect(errors.length).toBeGreaterThanOrEqual(3);
      state.down = false;
      await sleep(70);
      expect(await cache.wrap('k', async () => 'from source')).toBe('cached'); // the probe succeeded
      expect(cache.storeState).toBe('closed');
      expect(cache.stats().errors).toBe(errors.length);
    });
  });

  describe('a store that fails mid-run (epoch and timeouts)', () => {
    it('stops waiting for a store that never answers after operationTimeoutMs, and reports a timeout', async () => {
      const { store, state } = switchableStore();
      const errors: unknown[] = [];
      const cache = newCache(store, { operationTimeoutMs: 50, onError: (error) => errors.push(error) });
      state.hang = true;
      const started = performance.now();
      expect(await cache.wrap('k', async () => 'from source')).toBe('from source');
      await cache.invalidate({ keys: ['k'] });
      expect(performance.now() - started).toBeLessThan(2 * 50 + 100);
      expect(errors[0]).toBeInstanceOf(CacheStoreTimeoutError);
      expect(errors[0]).toMatchObject({ code: 'E_CACHE_STORE_TIMEOUT', operation: 'get', timeoutMs: 50 });
    });

    it('never serves a value whose invalidation was lost while the store was down', async () => {
      const { store, state } = switchableStore();
      const cache = newCache(store, { breaker: { failureThreshold: 100, cooldownMs: 20 } });
      await cache.wrap('track:1', async () => 'old', { tags: ['album:1'] });
      await cache.wrap('track:2', async () => 'old');
      state.down = true;
      await cache.invalidate({ keys: ['track:2'], tags: ['album:1'] }); // lost, no exception
      expect(cache.epochBumpPending).toBe(true);
      state.down = false;
      expect(await cache.wrap('track:1', async () => 'new', { tags: ['album:1'] })).toBe('new');
      expect(await cache.wrap('track:2', async () => 'new')).toBe('new');
      expect(cache.epochBumpPending).toBe(false);
      expect(await cache.wrap('track:2', async () => 'newer')).toBe('new'); // caching works again
    });

    it('another cache on the same store stops serving the old value once the epoch bump lands (not before)', async () => {
      const { store, state } = switchableStore();
      const other = newCache(store);
      const cache = newCache(store, { breaker: { failureThreshold: 100, cooldownMs: 20 } });
      await other.wrap('track:1', async () => 'old');
      state.down = true;
      await cache.invalidate({ keys: ['track:1'] });
      state.down = false;
      expect(await other.wrap('track:1', async () => 'new')).toBe('old'); // the documented window: not bumped yet
      expect(await cache.wrap('anything', async () => 1)).toBe(1); // the next store call bumps the epoch first
      expect(await other.wrap('track:1', async () => 'new')).toBe('new');
    });

    it('does not fail a call when onError throws', async () => {
      const { store, state } = switchableStore();
      const cache = newCache(store, {
        onError: () => {
          throw new Error('logger broke');
        },
      });
      state.down = true;
      expect(await cache.wrap('k', async () => 'from source')).toBe('from source');
      await expect(cache.invalidate({ tags: ['t'] })).resolves.toBeUndefined();
    });
  });

  describe('operations', () => {
    it('warms keys that are not cached yet', async () => {
      const cache = newCache();
      await cache.wrap('track:1', async () => 'cached');
      const loaded: string[] = [];
      await cache.warm(['track:1', 'track:2', 'track:3'], async (key) => {
        loaded.push(key);
        return key;
      });
      expect(loaded.sort()).toEqual(['track:2', 'track:3']);
      expect(await cache.wrap('track:3', async () => 'x')).toBe('track:3');
    });

    it('keeps hits, misses, loads and the hit ratio per key prefix', async () => {
      const cache = newCache();
      await cache.wrap('track:1', async () => 1);
      await cache.wrap('track:1', async () => 1);
      await cache.wrap('track:1', async () => 1);
      await cache.wrap('album:1', async () => 1);
      const stats = cache.stats();
      expect(stats.byPrefix.track).toMatchObject({ hits: 2, misses: 1, loads: 1 });
      expect(stats.byPrefix.track?.hitRatio).toBeCloseTo(2 / 3);
      expect(stats.byPrefix.album).toMatchObject({ hits: 0, misses: 1 });
      expect(stats.loadMs).toBeGreaterThanOrEqual(0);
    });
  });

  describe('bad input', () => {
    it('refuses keys that would widen a pattern, an empty key, a TTL ≤ 0 and a bad namespace', async () => {
      const cache = newCache();
      await expect(cache.wrap('search:*', async () => 1)).rejects.toThrow(CacheKeyError);
      await expect(cache.wrap('a?b', async () => 1)).rejects.toMatchObject({ code: 'E_CACHE_KEY' });
      await expect(cache.wrap('', async () => 1)).rejects.toThrow(CacheKeyError);
      await expect(cache.wrap('k', async () => 1, { ttlMs: 0 })).rejects.toThrow(InvalidArgumentError);
      await expect(cache.wrap('k', async () => 1, { ttlMs: -5 })).rejects.toThrow(/ttlMs must be a positive number/);
      expect(() => newCache(new MemoryStore(), { namespace: 'a*' })).toThrow(InvalidArgumentError);
      expect(() => newCache(new MemoryStore(), { defaultTtlMs: 0 })).toThrow(InvalidArgumentError);
    });

    it('refuses a bad operationTimeoutMs, breaker options and tags in the epoch namespace', async () => {
      expect(() => newCache(new MemoryStore(), { operationTimeoutMs: 0 })).toThrow(/operationTimeoutMs must be/);
      expect(() => newCache(new MemoryStore(), { operationTimeoutMs: Number.NaN })).toThrow(InvalidArgumentError);
      expect(() => newCache(new MemoryStore(), { breaker: { failureThreshold: 0 } })).toThrow(/failureThreshold/);
      expect(() => newCache(new MemoryStore(), { breaker: { cooldownMs: -1 } })).toThrow(InvalidArgumentError);
      const cache = newCache();
      const reserved = `${EPOCH_TAG_PREFIX}test`;
      await expect(cache.wrap('k', async () => 1, { tags: [reserved] })).rejects.toThrow(InvalidArgumentError);
      await expect(cache.invalidate({ tags: [reserved] })).rejects.toThrow(/reserved/);
    });
  });
});
