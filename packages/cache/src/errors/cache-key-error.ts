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
export class CacheKeyError extends StratumError<'E_CACHE_KEY'> {
  static override readonly code = 'E_CACHE_KEY' as const;
  readonly key: string;

  constructor(key: string, reason: string) {
    super(`Cache key ${JSON.stringify(key)} ${reason}.`);
    this.key = key;
  }
}
