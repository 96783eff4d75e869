import { StratumError } from '@stratum/core';

/**
 * A store operation took longer than `CacheOptions.operationTimeoutMs`: the cache stopped
 * waiting (it is handed to `onError`, never thrown to a caller). The operation itself may still
 * complete later — e.g. from ioredis' offline queue once Redis is back.
 *
 * @example
 * ```ts
 * const cache = new Cache({ store, namespace: 'app', onError: (error) => {
 *   if (error instanceof CacheStoreTimeoutError) metrics.increment('cache.timeout', { operation: error.operation });
 * } });
 * ```
 */
export class CacheStoreTimeoutError extends StratumError<'E_CACHE_STORE_TIMEOUT'> {
  static override readonly code = 'E_CACHE_STORE_TIMEOUT' as const;
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(store: string, operation: string, timeoutMs: number) {
    super(`Cache store "${store}" did not answer ${operation} within ${timeoutMs} ms.`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}
