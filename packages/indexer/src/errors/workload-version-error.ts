import { StratumError } from '@stratum/core';
import { describeValue } from '@stratum/core/internal';

/**
 * A workload whose `version` is not one this indexer reads (it reads version 1, what
 * `@stratum/profiler` writes today). Refused before anything is analysed, since the meaning of its
 * fields could have changed.
 *
 * @example
 * ```ts
 * parseWorkload({ version: 2, queries: [] }); // WorkloadVersionError [E_WORKLOAD_VERSION]: ... version 1 ..., but got: 2.
 * ```
 */
export class WorkloadVersionError extends StratumError<'E_WORKLOAD_VERSION'> {
  static override readonly code = 'E_WORKLOAD_VERSION' as const;
  readonly version: unknown;

  constructor(path: string | undefined, version: unknown) {
    super(
      `workload ${path === undefined ? '(in memory)' : `file ${path}`}: this indexer reads workload version 1 (written by @stratum/profiler's writeWorkload), but got: ${describeValue(version)}.`,
    );
    this.version = version;
  }
}
