import { StratumError } from '@stratum/core';

/**
 * The cache is used in a way that needs setup that was not done, e.g. `@InvalidatesCache` inside a
 * transaction before `enableCache(orm)` installed the after-commit hook: invalidating at once would
 * let a concurrent reader cache the old rows again before the commit, so Stratum refuses.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init(config);
 * enableCache(orm, { cache }); // once, before the first transaction
 * ```
 */
export class CacheSetupError extends StratumError<'E_CACHE_SETUP'> {
  static override readonly code = 'E_CACHE_SETUP' as const;
}
