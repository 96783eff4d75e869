import { InvalidArgumentError } from '@stratum/core';
import { describe, expect, it } from 'vitest';
import { Cache, Cached, CacheKeyError, CacheValueError, MemoryStore } from '../src/index.js';

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
