import { InvalidArgumentError } from '@stratum/core';
import { describe, expect, it } from 'vitest';
import { CacheValueError, MemoryStore } from '../src/index.js';
import { describeCacheStoreContract } from './contract/describe-cache-store-contract.js';

describeCacheStoreContract('MemoryStore', async () => ({ store: new MemoryStore() }), { lock: false });

describe('MemoryStore', () => {
  describe('bounds', () => {
    it('evicts the least recently used entry beyond maxEntries', async () => {
      const store = new MemoryStore({ maxEntries: 3 });
      await store.set('a', { value: 1 });
      await store.set('b', { value: 2 });
      await store.set('c', { value: 3 });
      await store.get('a'); // a is now more recent than b
      await store.set('d', { value: 4 });
      const reads = await store.getMany(['a', 'b', 'c', 'd']);
      expect(reads.map((r) => r.entry?.value)).toEqual([1, undefined, 3, 4]);
      expect(store.stats().entries).toBe(3);
    });

    it('evicts the least recently used entries when the estimated bytes exceed maxBytes', async () => {
      const store = new MemoryStore({ maxBytes: 4_000 });
      const text = 'x'.repeat(600); // about 1.3 KB each with overheads
      await store.set('a', { value: text });
      await store.set('b', { value: text });
      await store.get('a');
      await store.set('c', { value: text });
      await store.set('d', { value: text });
      const reads = await store.getMany(['a', 'b', 'c', 'd']);
      expect(reads.map((r) => r.entry !== undefined)).toEqual([true, false, true, true]);
    });

    it('rejects one entry larger than maxBytes with CacheValueError stating its size, and counts the error', async () => {
      const store = new MemoryStore({ maxBytes: 1_000 });
      const error = await store.set('big', { value: Buffer.alloc(5_000) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CacheValueError);
      expect((error as CacheValueError).message).toMatch(
        /"big": it takes about \d+ bytes, over the memory store's maxBytes of 1000 bytes/,
      );
      expect((error as CacheValueError).bytes).toBeGreaterThan(5_000);
      expect((error as CacheValueError).maxBytes).toBe(1_000);
      expect((await store.get('big')).entry).toBeUndefined();
      expect(store.stats()).toEqual({ name: 'memory', entries: 0, errors: 1 });
    });

    it('counts rejected values as errors in stats()', async () => {
      const store = new MemoryStore({ name: 'l1' });
      await expect(store.set('fn', { value: () => 1 })).rejects.toThrow(CacheValueError);
      await expect(
        store.setMany<unknown>([
          { key: 'ok', entry: { value: 1 } },
          { key: 'sym', entry: { value: Symbol('s') } },
        ]),
      ).rejects.toThrow(/Cannot cache value: it is a symbol/);
      expect(store.stats()).toEqual({ name: 'l1', entries: 0, errors: 2 });
    });
  });

  describe('copies values instead of sharing them', () => {
    it('keeps the cached value when the caller mutates the object it wrote', async () => {
      const store = new MemoryStore();
      const value = {
        name: 'Hells Bells',
        tags: ['rock'],
        at: new Date(0),
        ids: new Set([1]),
        byId: new Map([[1, 'a']]),
      };
      await store.set('k', { value });
      value.name = 'changed';
      value.tags.push('pop');
      value.at.setTime(1_000);
      value.ids.add(2);
      value.byId.set(2, 'b');
      expect((await store.get('k')).entry?.value).toEqual({
        name: 'Hells Bells',
        tags: ['rock'],
        at: new Date(0),
        ids: new Set([1]),
        byId: new Map([[1, 'a']]),
      });
      expect(Object.isFrozen(value)).toBe(false);
    });

    it('hands out a fresh copy on every read, so mutating one read changes neither the cache nor another read', async () => {
      const store = new MemoryStore();
      await store.set('k', {
        value: { list: [1, 2], at: new Date(0), bytes: Buffer.from([1, 2]), byId: new Map([[1, 'a']]) },
      });
      const first = (await store.get<{ list: number[]; at: Date; bytes: Buffer; byId: Map<number, string> }>('k'))
        .entry!;
      const second = (await store.get<typeof first.value>('k')).entry!;
      expect(first.value).not.toBe(second.value);
      first.value.list.push(3);
      first.value.at.setTime(5);
      first.value.bytes[0] = 99;
      first.value.byId.clear();
      expect(second.value).toEqual({
        list: [1, 2],
        at: new Date(0),
        bytes: Buffer.from([1, 2]),
        byId: new Map([[1, 'a']]),
      });
      expect((await store.get('k')).entry?.value).toEqual(second.value);
    });

    it('keeps cycles and shared references in the copy', async () => {
      const store = new MemoryStore();
      const shared = { id: 1 };
      const node: { self?: unknown; pair: unknown[] } = { pair: [shared, shared] };
      node.self = node;
      await store.set('graph', { value: node });
      const read = (await store.get<typeof node>('graph')).entry!.value;
      expect(read).not.toBe(node);
      expect(read.self).toBe(read);
      expect(read.pair[0]).toBe(read.pair[1]);
      expect(read.pair[0]).not.toBe(shared);
    });

    it('copies the tags, so mutating them after set does not revive a hidden entry', async () => {
      const store = new MemoryStore();
      const tags = { Track: 0 };
      await store.set('k', { value: 1, tags });
      await store.invalidateTags(['Track']);
      tags.Track = 5;
      expect((await store.get('k')).entry).toBeUndefined();
    });
  });

  describe('bounded generations and tag versions', () => {
    it('refuses a stale write for a key whose generation was dropped from the bounded map', async () => {
      const store = new MemoryStore({ maxGenerations: 2 });
      const before = await store.get('a');
      await store.invalidate(['a']);
      const afterInvalidate = (await store.get('a')).generation;
      await store.invalidate(['b']);
      await store.invalidate(['c']); // drops a's generation
      const later = (await store.get('a')).generation;
      expect(later).toBeGreaterThan(afterInvalidate);
      await expect(store.set('a', { value: 'stale' }, { ifGeneration: before.generation })).resolves.toBe(false);
      await expect(store.set('a', { value: 'fresh' }, { ifGeneration: later })).resolves.toBe(true);
    });

    it('hides an entry whose tag version was dropped from the bounded map', async () => {
      const store = new MemoryStore({ maxTags: 1 });
      const tags = await store.tagVersions(['Track']);
      await store.invalidateTags(['Track']);
      await store.invalidateTags(['Album']); // drops Track's version
      await store.set('k', { value: 'loaded before the invalidation', tags });
      expect((await store.get('k')).entry).toBeUndefined();
      const now = await store.tagVersions(['Track']);
      expect(now.Track).toBeGreaterThan(1);
      await store.set('k', { value: 'fresh', tags: now });
      expect((await store.get('k')).entry?.value).toBe('fresh');
    });

    it('refuses a write loaded before invalidatePattern, even for a key that had no entry', async () => {
      const store = new MemoryStore();
      const { generation } = await store.get('user:7');
      await store.invalidatePattern('user:*');
      await expect(store.set('user:7', { value: 'old' }, { ifGeneration: generation })).resolves.toBe(false);
    });

    it('refuses a write loaded before clear()', async () => {
      const store = new MemoryStore();
      await store.invalidate(['a']);
      const a = await store.get('a');
      const b = await store.get('b');
      await store.clear();
      await expect(store.set('a', { value: 'old' }, { ifGeneration: a.generation })).resolves.toBe(false);
      await expect(store.set('b', { value: 'old' }, { ifGeneration: b.generation })).resolves.toBe(false);
    });
  });

  describe('expiry', () => {
    it('does not store an entry already past its expiresAt, and drops the older one', async () => {
      const store = new MemoryStore();
      await store.set('k', { value: 'old' });
      await expect(store.set('k', { value: 'dead', expiresAt: Date.now() - 1 })).resolves.toBe(true);
      expect((await store.get('k')).entry).toBeUndefined();
      expect(store.stats().entries).toBe(0);
    });
  });

  describe('options and arguments', () => {
    it.each([
      ['maxEntries', 0],
      ['maxEntries', -1],
      ['maxBytes', 1.5],
      ['maxBytes', Number.NaN],
      ['maxGenerations', Number.POSITIVE_INFINITY],
      ['maxTags', '10'],
    ])('rejects options.%s = %s with InvalidArgumentError', (option, value) => {
      expect(() => new MemoryStore({ [option]: value } as never)).toThrow(InvalidArgumentError);
      expect(() => new MemoryStore({ [option]: value } as never)).toThrow(
        new RegExp(`^MemoryStore options\\.${option} must be a positive integer, but got: `),
      );
    });

    it('rejects an empty name', () => {
      expect(() => new MemoryStore({ name: '' })).toThrow(/options\.name must be a non-empty string/);
    });

    it('uses the given name in stats()', () => {
      expect(new MemoryStore({ name: 'l1' }).stats()).toEqual({ name: 'l1', entries: 0, errors: 0 });
    });

    it('rejects a negative ttlMs or a non-integer ifGeneration with InvalidArgumentError', async () => {
      const store = new MemoryStore();
      await expect(store.set('k', { value: 1 }, { ttlMs: -5 })).rejects.toThrow(
        'ttlMs must be a positive number of milliseconds from 1 to 9007199254740991, but got: -5.',
      );
      await expect(store.set('k', { value: 1 }, { ifGeneration: 1.5 })).rejects.toThrow(InvalidArgumentError);
      expect((await store.get('k')).entry).toBeUndefined();
    });
  });
});
