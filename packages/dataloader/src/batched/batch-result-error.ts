import { StratumError } from '@stratum/core';

/**
 * The batch method of a {@link Batched} method returned something that cannot be matched to its
 * keys: an array of the wrong length, or neither an array nor a Map (or, with `key`, not an array of
 * rows). Every caller of that batch rejects with it.
 *
 * @example
 * ```ts
 * try {
 *   await tracks.findByComposer('AC/DC');
 * } catch (error) {
 *   if (error instanceof BatchResultError) console.log(error.code); // 'E_BATCH_RESULT'
 * }
 * // BatchResultError [E_BATCH_RESULT]: TrackRepository.findManyByComposer(keys) returned 2 items for 3 keys: ...
 * ```
 */
export class BatchResultError extends StratumError<'E_BATCH_RESULT'> {
  static override readonly code = 'E_BATCH_RESULT' as const;
  /** The batch method, e.g. `TrackRepository.findManyByComposer`. */
  readonly batchMethod: string;
  /** How many keys it was called with. */
  readonly keyCount: number;

  constructor(batchMethod: string, keyCount: number, problem: string) {
    super(`${batchMethod}(keys) ${problem}`);
    this.batchMethod = batchMethod;
    this.keyCount = keyCount;
  }
}
