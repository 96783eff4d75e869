import { InvalidArgumentError } from '@stratum/core';
import { describe, expect, it } from 'vitest';
import {
  Cache,
  Cached,
  CacheKeyError,
  CacheValueError,
  InvalidatesCache,
  MAX_TTL_MS,
  MemoryStore,
} from '../src/index.js';

/** What bad input does to a cached call: each case is a typed error, or a skip the caller can see in onError. */
describe('bad input to the cache', () => {
  const errors: unknown[] = [];
  const cache = new Cache({
    store: new MemoryStore({ maxBytes: 64 * 1024 }),
    namespace: 'bad',
    onError: (error) => errors.push(error),
  });

  class Service {
    calls = 0;

    @Cached({ key: 'fn:{id}', cache })
    async withFunction(id: number) {
      this.calls++;
      return { id, run: () => id };
    }

    @Cached({ key: 'cycle:{id}', cache })
    async withCycle(id: number) {
      this.calls++;
      const node: Record<string, unknown> = { id };
      node.self = node;
      return node;
    }

    @Cached({ key: 'big:{id}', cache })
    async tooBig(id: number) {
      this.calls++;
      return { id, blob: 'x'.repeat(200_000) };
    }

    @Cached({ key: 'q:{q}', cache })
    async search(q: string) {
      this.calls++;
      return [q];
    }
  }

  it('a value that cannot be serialized (a function) is returned but not cached, with CacheValueError reported', async () => {
    const service = new Service();
    errors.length = 0;
    const value = await service.withFunction(1);
    expect(value.run()).toBe(1);
    await service.withFunction(1);
    expect(service.calls).toBe(2); // not cached: every call reaches the source
    expect(errors[0]).toBeInstanceOf(CacheValueError);
    expect((errors[0] as CacheValueError).code).toBe('E_CACHE_VALUE');
    expect(String((errors[0] as Error).message)).toMatch(/run/);
  });

  it('a value with a cycle is cached and comes back with the same shape', async () => {
    const service = new Service();
    await service.withCycle(1);
    const hit = (await service.withCycle(1)) as Record<string, unknown>;
    expect(service.calls).toBe(1);
    expect(hit.self).toBe(hit);
  });

  it('a value over the size limit is returned but not cached, with CacheValueError reported', async () => {
    const service = new Service();
    errors.length = 0;
    expect((await service.tooBig(1)).blob).toHaveLength(200_000);
    await service.tooBig(1);
    expect(service.calls).toBe(2);
    expect(errors.some((error) => error instanceof CacheValueError)).toBe(true);
  });

  it('placeholder values holding : or * are encoded, so they neither collide nor widen a pattern', async () => {
    const service = new Service();
    await service.search('a:b');
    await service.search('a%3Ab'); // the encoded form of the first, as a literal value: another key
    await service.search('*');
    expect(service.calls).toBe(3);
    await cache.invalidate({ patterns: ['q:a*'] }); // matches both 'a…' keys, not '*' (encoded as %2A)
    await service.search('*');
    expect(service.calls).toBe(3);
  });

  it('a TTL ≤ 0 and keys with glob characters are typed errors', async () => {
    expect(() => Cached({ ttl: 0 })).toThrow(InvalidArgumentError);
    expect(() => Cached({ ttl: -1 })).toThrow(InvalidArgumentError);
    await expect(cache.wrap('k', async () => 1, { ttlMs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(cache.wrap('a*', async () => 1)).rejects.toThrow(CacheKeyError);
    expect(() => Cached({ key: 'q:*' })({} as never, 'm', { value() {} } as never)).toThrow(CacheKeyError);
  });
});

/** Applies a legacy method decorator to a method with the given parameters, as a class definition does. */
function decorate(decorator: (target: object, key: string, descriptor: PropertyDescriptor) => unknown): void {
  class Repository {
    async find(id: number, filter: { genreId: number }) {
      return [id, filter];
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Repository.prototype, 'find') as PropertyDescriptor;
  decorator(Repository.prototype, 'find', descriptor);
}

describe('cache key placeholders resolve the arguments own properties only', () => {
  const cache = new Cache({ store: new MemoryStore(), namespace: 'own' });

  it.each([
    'c:{id.constructor}',
    'p:{id.__proto__}',
    'p:{filter.prototype}',
    'p:{filter.genreId.constructor.name}',
    'f:{filter.toString}',
    'f:{filter.hasOwnProperty}',
    'f:{id.valueOf}',
    'f:{filter.constructor.call}',
  ])('refuses %s at class definition with CacheKeyError (every argument would share one entry)', (key) => {
    expect(() => decorate(Cached({ key, cache }) as never)).toThrow(CacheKeyError);
    expect(() => decorate(Cached({ key: 'k:{id}', tags: [key], cache }) as never)).toThrow(CacheKeyError);
    expect(() => decorate(InvalidatesCache({ keys: [key], cache }) as never)).toThrow(CacheKeyError);
  });

  it('refuses {id.constructor} in a class: id 2 never gets the row of id 1', () => {
    expect(() => {
      class Rows {
        @Cached({ key: 'c:{id.constructor}', cache })
        async row(id: number) {
          return { id };
        }
      }
      return Rows;
    }).toThrow(/\{id\.constructor\}, whose "constructor" names a prototype or a built-in function/);
  });

  it('still accepts own data paths such as {filter.genreId} and {ids.length}', async () => {
    class Service {
      calls = 0;

      @Cached({ key: 'g:{filter.genreId}:{ids.length}', cache })
      async find(filter: { genreId?: number }, ids: number[]) {
        this.calls++;
        return [filter.genreId, ids.length];
      }
    }
    const service = new Service();
    expect(await service.find({ genreId: 1 }, [1])).toEqual([1, 1]);
    expect(await service.find({ genreId: 2 }, [1])).toEqual([2, 1]);
    expect(await service.find({ genreId: 2 }, [1, 2])).toEqual([2, 2]);
    expect(await service.find({ genreId: 1 }, [3])).toEqual([1, 1]);
    expect(await service.find({}, [])).toEqual([undefined, 0]); // absent everywhere: the key says ~
    expect(service.calls).toBe(4);
  });

  it('never reads an inherited property at call time: the call fails with CacheKeyError, the method is not run', async () => {
    let reads = 0;
    const prototype = {
      get genreId() {
        reads++;
        return 7;
      },
    };
    class Service {
      calls = 0;

      @Cached({ key: 'g:{filter.genreId}', cache })
      async find(filter: { genreId: number }) {
        this.calls++;
        return filter.genreId;
      }
    }
    const service = new Service();
    const inherited = Object.create(prototype) as { genreId: number };
    await expect(service.find(inherited)).rejects.toThrow(CacheKeyError);
    await expect(service.find(inherited)).rejects.toThrow(
      /\{filter\.genreId\} names "genreId", which this argument only inherits/,
    );
    expect(reads).toBe(0);
    expect(service.calls).toBe(0);
    // Own properties of the same shape are fine, and each value keys its own entry.
    expect(await service.find({ genreId: 1 })).toBe(1);
    expect(await service.find({ genreId: 2 })).toBe(2);
    expect(service.calls).toBe(2);
  });

  it('@InvalidatesCache refuses an inherited placeholder property before the method writes anything', async () => {
    class Service {
      writes = 0;

      @InvalidatesCache({ tags: ['Track:{track.id}'], cache })
      async save(track: { id: number }) {
        this.writes++;
        return track;
      }
    }
    const service = new Service();
    await expect(service.save(Object.create({ id: 1 }))).rejects.toThrow(CacheKeyError);
    expect(service.writes).toBe(0);
    await service.save({ id: 1 });
    expect(service.writes).toBe(1);
  });

  it('refuses at call time a placeholder path that reaches a function (a class passed as an argument)', async () => {
    class Service {
      @Cached({ key: 'k:{kind.table}', cache })
      async count(kind: { table: string }) {
        return kind.table;
      }
    }
    class Track {
      static table = 'track';
    }
    await expect(new Service().count(Track)).rejects.toThrow(/reaches a function \(Track\), not data/);
  });
});

describe('ttl values that cannot work are refused where they are given', () => {
  it.each([
    ['below 1 ms', 0.5],
    ['zero', 0],
    ['beyond MAX_TTL_MS (2^53 - 1 ms)', MAX_TTL_MS + 2],
    ['beyond what Redis PX accepts (2^63 ms)', 2 ** 63],
    ['not finite', Number.POSITIVE_INFINITY],
  ])('a ttl %s: InvalidArgumentError at decoration, construction or call time', async (_, ttl) => {
    expect(() => Cached({ ttl })).toThrow(InvalidArgumentError);
    expect(() => Cached({ ttl: 1000, staleWhileRevalidate: ttl })).toThrow(InvalidArgumentError);
    expect(() => new Cache({ store: new MemoryStore(), namespace: 'ttl', defaultTtlMs: ttl })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new Cache({ store: new MemoryStore(), namespace: 'ttl', lockTtlMs: ttl })).toThrow(
      InvalidArgumentError,
    );
    const cache = new Cache({ store: new MemoryStore(), namespace: 'ttl' });
    let loads = 0;
    const load = async () => ++loads;
    await expect(cache.wrap('k', load, { ttlMs: ttl })).rejects.toThrow(InvalidArgumentError);
    // (`staleWhileRevalidateMs: 0` is wrap's documented default, no window: tested with the others.)
    for (const staleWhileRevalidateMs of [0.5, MAX_TTL_MS + 2, 2 ** 63, Number.NaN]) {
      await expect(cache.wrap('k', load, { ttlMs: 1000, staleWhileRevalidateMs })).rejects.toThrow(
        InvalidArgumentError,
      );
    }
    expect(loads).toBe(0);
    await expect(new MemoryStore().set('k', { value: 1 }, { ttlMs: ttl })).rejects.toThrow(InvalidArgumentError);
  });

  it('a ttl and a stale-while-revalidate window that together exceed MAX_TTL_MS are refused', async () => {
    expect(() => Cached({ ttl: MAX_TTL_MS, staleWhileRevalidate: 1 })).toThrow(
      /options\.ttl \+ options\.staleWhileRevalidate must be at most/,
    );
    const cache = new Cache({ store: new MemoryStore(), namespace: 'ttl' });
    await expect(cache.wrap('k', async () => 1, { ttlMs: MAX_TTL_MS, staleWhileRevalidateMs: 1 })).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it('the longest ttl is accepted and keeps the entry; a fraction above 1 ms is accepted too', async () => {
    const cache = new Cache({ store: new MemoryStore(), namespace: 'ttl' });
    let loads = 0;
    expect(await cache.wrap('long', async () => ++loads, { ttlMs: MAX_TTL_MS })).toBe(1);
    expect(await cache.wrap('long', async () => ++loads, { ttlMs: MAX_TTL_MS })).toBe(1);
    expect(await cache.wrap('frac', async () => ++loads, { ttlMs: 1500.5 })).toBe(2);
    expect(await cache.wrap('frac', async () => ++loads, { ttlMs: 1500.5 })).toBe(2);
    expect(() => Cached({ ttl: MAX_TTL_MS })).not.toThrow();
  });
});
