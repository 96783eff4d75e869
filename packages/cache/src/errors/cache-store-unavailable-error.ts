import { StratumError } from '@stratum/core';

/** Why a store could not answer: see {@link CacheStoreUnavailableError.reason}. */
export type CacheStoreUnavailableReason = 'closed' | 'subscriber-ended' | 'pipeline-discarded' | 'cluster-ended';

/**
 * A store cannot answer at all: it was closed, the TieredStore's subscriber connection ended for
 * good (`quit()`, or ioredis gave up reconnecting), Redis discarded a pipeline, or a Cluster ended
 * before it was ready. `reason` says which. Through a `Cache` it reaches `onError` only (the call
 * falls through to the source); used directly, a store's method rejects with it.
 *
 * @example
 * ```ts
 * await store.close();
 * await store.ready().catch((error) => error instanceof CacheStoreUnavailableError && error.reason); // 'closed'
 * ```
 */
export class CacheStoreUnavailableError extends StratumError<'E_CACHE_STORE_UNAVAILABLE'> {
  static override readonly code = 'E_CACHE_STORE_UNAVAILABLE' as const;
  readonly store: string;
  readonly reason: CacheStoreUnavailableReason;

  constructor(store: string, reason: CacheStoreUnavailableReason, message: string) {
    super(`${store}: ${message}`);
    this.store = store;
    this.reason = reason;
  }
}
