import { StratumError } from '@stratum/core';

/**
 * A cache key that could reach another namespace or widen an invalidation pattern: empty, or
 * holding a glob character (`*`, `?`, `[`, `]`) where a literal key is expected, or a placeholder
 * value holding `:`.
 *
 * @example
 * ```ts
 * await cache.wrap('search:*', load); // CacheKeyError [E_CACHE_KEY]: ... "search:*" ...
 * ```
 */
export class CacheKeyError extends StratumError {
  static override readonly code: string = 'E_CACHE_KEY';
  readonly key: string;

  constructor(key: string, reason: string) {
    super(`Cache key ${JSON.stringify(key)} ${reason}.`);
    this.key = key;
  }
}
