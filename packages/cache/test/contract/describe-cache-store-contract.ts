import { StratumError } from '@stratum/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheEntry, CacheStore } from '../../src/store/cache-store.js';

/** What a contract run opens for each test: a fresh store, and how to release it (default: `store.close()`). */
export interface OpenedCacheStore {
  store: CacheStore;
  close?: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let run = 0;

/**
 * Registers the tests every {@link CacheStore} must pass (memory, Redis, two-tier). `open` is called
 * before each test and must give a store that holds nothing the test did not write (e.g. a fresh
 * namespace); keys are prefixed per test anyway, so stores sharing a backend do not collide. The
 * returned `close` (or `store.close()`) runs after each test.
 *
 * Expiry tests use real timers and TTLs of 60–150 ms.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '../src/index.js';
 * import { describeCacheStoreContract } from './contract/describe-cache-store-contract.js';
 *
 * describeCacheStoreContract('MemoryStore', async () => ({ store: new MemoryStore() }));
 * ```
 */
export function describeCacheStoreContract(
  name: string,
  open: () => Promise<{ store: CacheStore; close?: () => Promise<void> }>,
  features: {
    /** The store shares a stampede lock between processes (`lock`/`unlock`). @default true */ lock?: boolean;
  } = {},
): void {
  const hasLock = features.lock ?? true;
  describe(`${name} fulfils the CacheStore contract`, () => {
    let opened: OpenedCacheStore | undefined;
    let prefix = '';
    const store = (): CacheStore => {
      if (!opened) throw new Error('the contract store is not open');
      return opened.store;
    };
    /** A key unique to this test (so stores sharing a backend never see another test's keys). */
    const key = (suffix: string): string => `${prefix}${suffix}`;

    beforeEach(async () => {
      run += 1;
      prefix = `contract:${process.pid}:${Date.now().toString(36)}:${run}:`;
      opened = await open();
    });

    afterEach(async () => {
      const current = opened;
      opened = undefined;
      if (current) await (current.close ? current.close() : current.store.close());
    });

    describe('get and set', () => {
      it('reads a missing key as no entry at generation 0', async () => {
        await expect(store().get(key('missing'))).resolves.toEqual({ entry: undefined, generation: 0 });
      });

      it('round-trips Date, BigInt, Map, Set, Buffer, nested objects and arrays', async () => {
        const value = {
          at: new Date('2024-02-29T12:34:56.789Z'),
          big: 9007199254740993n,
          huge: -(2n ** 70n),
          map: new Map<string, unknown>([
            ['a', 1],
            ['b', { c: [1, 2, 3] }],
          ]),
          numericMap: new Map([[1, 'one']]),
          set: new Set(['x', 'y']),
          buffer: Buffer.from([0, 1, 2, 255]),
          nested: { list: [1, 'two', null, { deep: [true, false] }], empty: {}, none: [] },
          large: 2 ** 40,
          float: 1.5,
          negative: -42,
          unicode: 'Ünïcødé ✓ 🎵',
        };
        await expect(store().set(key('value'), { value })).resolves.toBe(true);
        const { entry } = await store().get<typeof value>(key('value'));
        expect(entry?.value).toEqual(value);
        const read = entry!.value;
        expect(read.at).toBeInstanceOf(Date);
        expect(read.at.getTime()).toBe(value.at.getTime());
        expect(typeof read.big).toBe('bigint');
        expect(read.big).toBe(9007199254740993n);
        expect(read.huge).toBe(-(2n ** 70n));
        expect(read.map).toBeInstanceOf(Map);
        expect(read.map.get('b')).toEqual({ c: [1, 2, 3] });
        expect(read.numericMap.get(1)).toBe('one');
        expect(read.set).toBeInstanceOf(Set);
        expect([...read.set]).toEqual(['x', 'y']);
        expect(Buffer.isBuffer(read.buffer)).toBe(true);
        expect(Buffer.compare(read.buffer, value.buffer)).toBe(0);
        expect(typeof read.large).toBe('number');
        expect(read.large).toBe(2 ** 40);
        expect(read.unicode).toBe('Ünïcødé ✓ 🎵');
      });

      it('round-trips top-level primitives and null (a cached "not found")', async () => {
        const values: unknown[] = [null, 0, 42, -1.25, '', 'text', true, false, 12n, [], {}];
        for (const [i, value] of values.entries()) {
          await store().set(key(`primitive:${i}`), { value });
        }
        for (const [i, value] of values.entries()) {
          const { entry } = await store().get(key(`primitive:${i}`));
          expect(entry, `value #${i}`).toBeDefined();
          expect(entry?.value, `value #${i}`).toEqual(value);
        }
      });

      it('returns the expiresAt, staleUntil and tags the entry was written with', async () => {
        const expiresAt = Date.now() + 60_000;
        const staleUntil = expiresAt + 60_000;
        const entry: CacheEntry<string> = { value: 'v', expiresAt, staleUntil, tags: { Track: 0, Album: 0 } };
        await store().set(key('meta'), entry, { ttlMs: 180_000 });
        const read = await store().get<string>(key('meta'));
        expect(read.entry).toEqual(entry);
        expect(read.generation).toBe(0);
      });

      it('overwrites the value of a key on a second set', async () => {
        await store().set(key('k'), { value: 1 });
        await store().set(key('k'), { value: 2 });
        expect((await store().get(key('k'))).entry?.value).toBe(2);
      });

      it('rejects a function with CacheValueError (E_CACHE_VALUE) and writes nothing', async () => {
        const error = await store()
          .set(key('fn'), { value: { run: () => 1 } })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StratumError);
        expect(error).toMatchObject({ code: 'E_CACHE_VALUE' });
        expect((error as Error).message).toMatch(/function/);
        expect((await store().get(key('fn'))).entry).toBeUndefined();
      });

      it('rejects a class instance with CacheValueError, since it would come back as a plain object', async () => {
        class Track {
          constructor(readonly name: string) {}
          title(): string {
            return this.name.toUpperCase();
          }
        }
        const error = await store()
          .set(key('instance'), { value: { track: new Track('Hells Bells') } })
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'E_CACHE_VALUE' });
        expect((error as Error).message).toMatch(/Track/);
        expect((await store().get(key('instance'))).entry).toBeUndefined();
      });
    });

    describe('expiry', () => {
      it('serves an entry until expiresAt, then reads it as a miss', async () => {
        await store().set(key('ttl'), { value: 'fresh', expiresAt: Date.now() + 80 }, { ttlMs: 80 });
        expect((await store().get(key('ttl'))).entry?.value).toBe('fresh');
        await sleep(160);
        expect((await store().get(key('ttl'))).entry).toBeUndefined();
      });

      it('reads an entry past expiresAt as a miss even when the store would keep it longer', async () => {
        await store().set(key('ttl-long'), { value: 'v', expiresAt: Date.now() + 60 }, { ttlMs: 60_000 });
        await sleep(130);
        expect((await store().get(key('ttl-long'))).entry).toBeUndefined();
      });

      it('serves an expired entry until staleUntil, then reads it as a miss', async () => {
        const now = Date.now();
        await store().set(
          key('stale'),
          { value: 'stale-ok', expiresAt: now + 60, staleUntil: now + 250 },
          { ttlMs: 250 },
        );
        await sleep(120);
        const stale = await store().get<string>(key('stale'));
        expect(stale.entry?.value).toBe('stale-ok');
        expect(stale.entry!.expiresAt!).toBeLessThan(Date.now());
        await sleep(250);
        expect((await store().get(key('stale'))).entry).toBeUndefined();
      });

      it('drops an entry after ttlMs even without expiresAt', async () => {
        await store().set(key('ttl-only'), { value: 'v' }, { ttlMs: 60 });
        await sleep(150);
        expect((await store().get(key('ttl-only'))).entry).toBeUndefined();
      });
    });

    describe('getMany and setMany', () => {
      it('writes many entries and reads them back in the order asked, misses included', async () => {
        const written = await store().setMany<unknown>([
          { key: key('a'), entry: { value: 'A' } },
          { key: key('b'), entry: { value: new Date(0) } },
          { key: key('c'), entry: { value: [1n, 2n] } },
        ]);
        expect(written).toEqual([true, true, true]);
        const reads = await store().getMany([key('c'), key('missing'), key('a'), key('b')]);
        expect(reads.map((r) => r.entry?.value)).toEqual([[1n, 2n], undefined, 'A', new Date(0)]);
        expect(reads.map((r) => r.generation)).toEqual([0, 0, 0, 0]);
      });

      it('returns an empty array for no keys', async () => {
        await expect(store().getMany([])).resolves.toEqual([]);
        await expect(store().setMany([])).resolves.toEqual([]);
      });

      it('refuses only the setMany writes whose ifGeneration is outdated', async () => {
        const before = await store().getMany([key('x'), key('y')]);
        await store().invalidate([key('y')]);
        const written = await store().setMany<unknown>([
          { key: key('x'), entry: { value: 'x' }, options: { ifGeneration: before[0]!.generation } },
          { key: key('y'), entry: { value: 'y' }, options: { ifGeneration: before[1]!.generation } },
        ]);
        expect(written).toEqual([true, false]);
        const after = await store().getMany([key('x'), key('y')]);
        expect(after[0]?.entry?.value).toBe('x');
        expect(after[1]?.entry).toBeUndefined();
        expect(after[1]!.generation).toBeGreaterThan(before[1]!.generation);
      });
    });

    describe('generations (no stale write-back)', () => {
      it('writes when the generation is unchanged since the read', async () => {
        const { generation } = await store().get(key('g'));
        await expect(store().set(key('g'), { value: 'loaded' }, { ifGeneration: generation })).resolves.toBe(true);
        expect((await store().get(key('g'))).entry?.value).toBe('loaded');
      });

      it('refuses a write loaded before an invalidation of the key', async () => {
        await store().set(key('g'), { value: 'old' });
        const { generation } = await store().get(key('g'));
        await store().invalidate([key('g')]);
        await expect(store().set(key('g'), { value: 'old-reloaded' }, { ifGeneration: generation })).resolves.toBe(
          false,
        );
        expect((await store().get(key('g'))).entry).toBeUndefined();
      });

      it('refuses a write loaded before an invalidation of a key that had no entry', async () => {
        const { generation } = await store().get(key('empty'));
        await store().invalidate([key('empty')]);
        await expect(store().set(key('empty'), { value: 'old' }, { ifGeneration: generation })).resolves.toBe(false);
        expect((await store().get(key('empty'))).entry).toBeUndefined();
      });

      it('bumps the generation on each invalidation and returns how many keys had an entry', async () => {
        await store().set(key('a'), { value: 1 });
        await store().set(key('b'), { value: 2 });
        await expect(store().invalidate([key('a'), key('b'), key('none')])).resolves.toBe(2);
        const first = await store().getMany([key('a'), key('b'), key('none')]);
        expect(first.map((r) => r.entry)).toEqual([undefined, undefined, undefined]);
        expect(first[0]!.generation).toBeGreaterThan(0);
        await expect(store().invalidate([key('a')])).resolves.toBe(0);
        const second = await store().get(key('a'));
        expect(second.generation).toBeGreaterThan(first[0]!.generation);
      });

      it('accepts a write at the generation read after the invalidation', async () => {
        await store().invalidate([key('g')]);
        const { generation } = await store().get(key('g'));
        await expect(store().set(key('g'), { value: 'new' }, { ifGeneration: generation })).resolves.toBe(true);
        await expect(store().get(key('g'))).resolves.toEqual({ entry: { value: 'new' }, generation });
      });

      it('keeps the generation when a key is overwritten by set', async () => {
        await store().invalidate([key('g')]);
        const { generation } = await store().get(key('g'));
        await store().set(key('g'), { value: 1 });
        await store().set(key('g'), { value: 2 });
        expect((await store().get(key('g'))).generation).toBe(generation);
      });

      it('returns 0 for invalidate of no keys', async () => {
        await expect(store().invalidate([])).resolves.toBe(0);
      });
    });

    describe('invalidatePattern', () => {
      it('invalidates every key matching *, and no other', async () => {
        await store().setMany<unknown>([
          { key: key('Track:1'), entry: { value: 1 } },
          { key: key('Track:22'), entry: { value: 22 } },
          { key: key('Track'), entry: { value: 'bare' } },
          { key: key('Album:1'), entry: { value: 'a' } },
        ]);
        await expect(store().invalidatePattern(key('Track:*'))).resolves.toBe(2);
        const reads = await store().getMany([key('Track:1'), key('Track:22'), key('Track'), key('Album:1')]);
        expect(reads.map((r) => r.entry?.value)).toEqual([undefined, undefined, 'bare', 'a']);
      });

      it('matches exactly one character with ?', async () => {
        await store().setMany<unknown>([
          { key: key('page:1'), entry: { value: 1 } },
          { key: key('page:2'), entry: { value: 2 } },
          { key: key('page:10'), entry: { value: 10 } },
          { key: key('page:'), entry: { value: 0 } },
        ]);
        await expect(store().invalidatePattern(key('page:?'))).resolves.toBe(2);
        const reads = await store().getMany([key('page:1'), key('page:2'), key('page:10'), key('page:')]);
        expect(reads.map((r) => r.entry?.value)).toEqual([undefined, undefined, 10, 0]);
      });

      it('treats [ ] . + ( ) ^ $ | { } \\ in a pattern as literal characters', async () => {
        const special = 'q[a-z].+(x)^$|{2}\\';
        await store().setMany<unknown>([
          { key: key(`${special}:1`), entry: { value: 'special' } },
          { key: key('qb-zX++x:1'), entry: { value: 'lookalike' } },
          { key: key('q[a-z]X+(x)^$|{2}\\:1'), entry: { value: 'dot-is-not-any' } },
        ]);
        await expect(store().invalidatePattern(key(`${special}:*`))).resolves.toBe(1);
        const reads = await store().getMany([key(`${special}:1`), key('qb-zX++x:1'), key('q[a-z]X+(x)^$|{2}\\:1')]);
        expect(reads.map((r) => r.entry?.value)).toEqual([undefined, 'lookalike', 'dot-is-not-any']);
      });

      it('refuses a write loaded before the pattern invalidated the key', async () => {
        await store().set(key('user:7'), { value: 'old' });
        const { generation } = await store().get(key('user:7'));
        await store().invalidatePattern(key('user:*'));
        await expect(store().set(key('user:7'), { value: 'old' }, { ifGeneration: generation })).resolves.toBe(false);
        expect((await store().get(key('user:7'))).entry).toBeUndefined();
      });

      it('returns 0 when nothing matches', async () => {
        await store().set(key('kept'), { value: 1 });
        await expect(store().invalidatePattern(key('nothing:*'))).resolves.toBe(0);
        expect((await store().get(key('kept'))).entry?.value).toBe(1);
      });
    });

    describe('tags', () => {
      it('starts every tag at version 0', async () => {
        await expect(store().tagVersions([key('Track'), key('Album')])).resolves.toEqual({
          [key('Track')]: 0,
          [key('Album')]: 0,
        });
        await expect(store().tagVersions([])).resolves.toEqual({});
      });

      it('increments the version of each invalidated tag, and only those', async () => {
        await store().invalidateTags([key('Track')]);
        await store().invalidateTags([key('Track'), key('Album')]);
        await expect(store().tagVersions([key('Track'), key('Album'), key('Genre')])).resolves.toEqual({
          [key('Track')]: 2,
          [key('Album')]: 1,
          [key('Genre')]: 0,
        });
      });

      it('serves an entry written with the current tag versions', async () => {
        const tags = await store().tagVersions([key('Track')]);
        await store().set(key('tagged'), { value: 'v', tags });
        expect((await store().get(key('tagged'))).entry?.value).toBe('v');
      });

      it('hides an entry once one of its tags is invalidated', async () => {
        const tags = await store().tagVersions([key('Track'), key('Album')]);
        await store().set(key('tagged'), { value: 'v', tags });
        await store().set(key('other'), { value: 'o', tags: { [key('Genre')]: 0 } });
        await store().invalidateTags([key('Album')]);
        expect((await store().get(key('tagged'))).entry).toBeUndefined();
        expect((await store().getMany([key('tagged')]))[0]?.entry).toBeUndefined();
        expect((await store().get(key('other'))).entry?.value).toBe('o');
      });

      it('answers the same with prefetchTags (a hint): current tags serve, an invalidated one hides', async () => {
        const tags = await store().tagVersions([key('epoch'), key('Track')]);
        await store().set(key('hinted'), { value: 'v', tags });
        const hint = { prefetchTags: [key('epoch')] };
        expect((await store().get(key('hinted'), hint)).entry?.value).toBe('v');
        expect((await store().get(key('missing'), hint)).entry).toBeUndefined();
        await store().invalidateTags([key('epoch')]);
        expect((await store().get(key('hinted'), hint)).entry).toBeUndefined();
        await store().set(key('hinted2'), {
          value: 'w',
          tags: await store().tagVersions([key('epoch'), key('Track')]),
        });
        await store().invalidateTags([key('Track')]); // a tag not prefetched still hides it
        expect((await store().get(key('hinted2'), hint)).entry).toBeUndefined();
      });

      it('hides an entry loaded before its tag was invalidated, even if written after', async () => {
        const tags = await store().tagVersions([key('Track')]);
        await store().invalidateTags([key('Track')]);
        await store().set(key('late'), { value: 'stale', tags });
        expect((await store().get(key('late'))).entry).toBeUndefined();
        const fresh = await store().tagVersions([key('Track')]);
        await store().set(key('late'), { value: 'fresh', tags: fresh });
        expect((await store().get(key('late'))).entry?.value).toBe('fresh');
      });
    });

    // Optional (CacheStore.lock/unlock): a store declares whether it has the cross-process lock.
    describe('stampede lock (optional)', () => {
      /** The store, with its lock methods. */
      const lockable = (): Required<Pick<CacheStore, 'lock' | 'unlock'>> & CacheStore =>
        store() as Required<Pick<CacheStore, 'lock' | 'unlock'>> & CacheStore;

      if (!hasLock) {
        it('has no cross-process lock: the cache then protects against stampedes within the process', () => {
          expect(store().lock).toBeUndefined();
          expect(store().unlock).toBeUndefined();
        });
        return;
      }

      it('gives one caller the lock; a second lock of the key fails until the holder releases it', async () => {
        const locks = lockable();
        const token = await locks.lock(key('hot'), 5_000);
        expect(typeof token).toBe('string');
        await expect(locks.lock(key('hot'), 5_000)).resolves.toBeUndefined();
        expect(typeof (await locks.lock(key('other'), 5_000))).toBe('string'); // per key
        await locks.unlock(key('hot'), token!);
        const next = await locks.lock(key('hot'), 5_000);
        expect(typeof next).toBe('string');
        expect(next).not.toBe(token);
      });

      it('frees the lock after its ttl when the holder never releases it (a holder that died)', async () => {
        const locks = lockable();
        expect(await locks.lock(key('hot'), 80)).toBeDefined();
        await expect(locks.lock(key('hot'), 80)).resolves.toBeUndefined();
        await sleep(160);
        expect(typeof (await locks.lock(key('hot'), 5_000))).toBe('string');
      });

      it('ignores an unlock with a wrong or expired token: the current holder keeps the lock', async () => {
        const locks = lockable();
        const first = await locks.lock(key('hot'), 60);
        await sleep(130); // the first holder's lock expired ...
        const second = await locks.lock(key('hot'), 5_000); // ... and another caller took it
        expect(second).toBeDefined();
        await locks.unlock(key('hot'), first!); // the slow first holder releases "its" lock
        await locks.unlock(key('hot'), 'not-a-token');
        await expect(locks.lock(key('hot'), 5_000)).resolves.toBeUndefined();
        await locks.unlock(key('hot'), second!);
        expect(await locks.lock(key('hot'), 5_000)).toBeDefined();
      });

      it('keeps the lock apart from the entry: reads, writes and invalidations neither see nor release it', async () => {
        const locks = lockable();
        const token = await locks.lock(key('hot'), 5_000);
        expect((await locks.get(key('hot'))).entry).toBeUndefined();
        await locks.set(key('hot'), { value: 'v' });
        expect((await locks.get(key('hot'))).entry?.value).toBe('v');
        await expect(locks.invalidatePattern(key('*'))).resolves.toBe(1); // the entry, not the lock
        await locks.invalidate([key('hot')]);
        await locks.clear();
        await expect(locks.lock(key('hot'), 5_000)).resolves.toBeUndefined();
        await locks.unlock(key('hot'), token!);
        expect(await locks.lock(key('hot'), 5_000)).toBeDefined();
      });
    });

    describe('clear, stats and close', () => {
      it('clear() drops every entry', async () => {
        await store().setMany<unknown>([
          { key: key('a'), entry: { value: 1 } },
          { key: key('b'), entry: { value: 2 } },
        ]);
        await store().clear();
        const reads = await store().getMany([key('a'), key('b')]);
        expect(reads.map((r) => r.entry)).toEqual([undefined, undefined]);
      });

      it('clear() keeps tag versions, so entries loaded before it stay hidden', async () => {
        const tags = await store().tagVersions([key('Track')]);
        await store().invalidateTags([key('Track')]);
        await store().clear();
        expect((await store().tagVersions([key('Track')]))[key('Track')]).toBe(1);
        await store().set(key('late'), { value: 'stale', tags });
        expect((await store().get(key('late'))).entry).toBeUndefined();
      });

      it('stats() names the store and counts errors', async () => {
        const stats = store().stats();
        expect(stats.name).toBe(store().name);
        expect(typeof stats.name).toBe('string');
        expect(stats.name.length).toBeGreaterThan(0);
        expect(Number.isInteger(stats.errors)).toBe(true);
        expect(stats.errors).toBeGreaterThanOrEqual(0);
        if (stats.entries !== undefined) expect(Number.isInteger(stats.entries)).toBe(true);
      });

      it('close() resolves', async () => {
        const current = opened!;
        opened = undefined;
        await expect(current.close ? current.close() : current.store.close()).resolves.toBeUndefined();
      });
    });
  });
}
