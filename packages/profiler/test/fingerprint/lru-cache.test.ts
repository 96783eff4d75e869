import { InvalidArgumentError } from '@stratum/core';
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { catchError } from '../../../../test/support/catch-error.js';
import { SqlFingerprinter } from '../../src/fingerprint/fingerprint.js';

// The fingerprint caches are lru-cache's LRUCache with only `max` set: these pin the behaviour the
// profiler relies on (a hit refreshes recency, a set replaces in place, the size stays bounded).
describe('LRUCache as the fingerprint caches use it', () => {
  it('evicts the least recently used entry past its capacity', () => {
    const cache = new LRUCache<string, number>({ max: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // 'b' is now the oldest
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('replaces an existing key without growing, and refreshes it', () => {
    const cache = new LRUCache<string, number>({ max: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3); // evicts 'b', not the refreshed 'a'
    expect(cache.get('a')).toBe(10);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('stays bounded under many distinct keys, and clears', () => {
    const cache = new LRUCache<number, number>({ max: 5000 });
    for (let i = 0; i < 20_000; i++) cache.set(i, i);
    expect(cache.size).toBe(5000);
    expect(cache.get(14_999)).toBeUndefined();
    expect(cache.get(15_000)).toBe(15_000);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects a capacity that is not a positive integer with a typed error', () => {
    for (const capacity of [0, 1.5, -3, Number.NaN]) {
      const error = catchError(() => new SqlFingerprinter({ capacity }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
  });

  it('rejects SqlFingerprinter options that are not positive integers, naming the option', () => {
    const capacity = catchError(() => new SqlFingerprinter({ capacity: 0 }));
    expect(capacity).toBeInstanceOf(InvalidArgumentError);
    expect((capacity as Error).message).toBe(
      'SqlFingerprinter option capacity must be a positive integer, but got: 0.',
    );
    const length = catchError(() => new SqlFingerprinter({ maxCachedLength: -1 }));
    expect(length).toBeInstanceOf(InvalidArgumentError);
    expect((length as Error).message).toMatch(/^SqlFingerprinter option maxCachedLength must be/);
  });
});
