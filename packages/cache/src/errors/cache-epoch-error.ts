import { StratumError } from '@stratum/core';

/**
 * The cache could not settle a lost invalidation: it bumped its epoch (which makes every entry
 * written before the loss unreadable), and invalidations kept failing during the bump, twice. The
 * call that needed the bump goes to the database; the error reaches `onError` with stage `'epoch'`,
 * and the next store operation tries again.
 *
 * @example
 * ```ts
 * const cache = new Cache({
 *   store,
 *   onError: (error, stage) => {
 *     if (error instanceof CacheEpochError) console.warn(`cache: ${error.message} (${stage})`);
 *   },
 * });
 * ```
 */
export class CacheEpochError extends StratumError<'E_CACHE_EPOCH'> {
  static override readonly code = 'E_CACHE_EPOCH' as const;

  constructor() {
    super('the cache epoch could not be bumped: invalidations keep failing');
  }
}
