import { StratumError } from '@stratum/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CacheEpoch } from '../src/cache-epoch.js';
import { CacheEpochError } from '../src/index.js';

describe('CacheEpoch', () => {
  it('settles a lost invalidation with one bump, shared by concurrent callers', async () => {
    const epoch = new CacheEpoch('ns');
    epoch.markLost();
    let bumps = 0;
    const bump = async () => {
      bumps += 1;
    };
    await Promise.all([epoch.settle(bump), epoch.settle(bump)]);
    expect(bumps).toBe(1);
    expect(epoch.owed).toBe(false);
  });

  it('gives up with a typed CacheEpochError when invalidations keep failing during every bump', async () => {
    const epoch = new CacheEpoch('ns');
    epoch.markLost();
    const error = await epoch.settle(async () => epoch.markLost()).catch((e) => e);
    expect(error).toBeInstanceOf(CacheEpochError);
    expect(error).toBeInstanceOf(StratumError);
    expect(error.code).toBe('E_CACHE_EPOCH');
    expect(error.message).toBe('the cache epoch could not be bumped: invalidations keep failing');
    expect(epoch.owed).toBe(true); // still owed: the next store operation tries again
    expectTypeOf(new CacheEpochError().code).toEqualTypeOf<'E_CACHE_EPOCH'>();
  });
});
