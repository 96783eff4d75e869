import { StratumError } from '@stratum/core';
import { describeValue } from '@stratum/core/internal';

/**
 * An option of the indexer with a value it cannot use, named with what it expects and what it got.
 *
 * @example
 * ```ts
 * await suggestIndexes({ workload, clientUrl, maxIndexesPerTable: 0 });
 * // IndexerOptionError [E_INDEXER_OPTION]: maxIndexesPerTable must be a positive integer, but got: 0.
 * ```
 */
export class IndexerOptionError extends StratumError<'E_INDEXER_OPTION'> {
  static override readonly code = 'E_INDEXER_OPTION' as const;
  readonly option: string;

  constructor(option: string, expected: string, received: unknown) {
    super(`${option} must be ${expected}, but got: ${describeValue(received)}.`);
    this.option = option;
  }
}
