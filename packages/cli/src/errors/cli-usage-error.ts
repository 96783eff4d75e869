import { StratumError } from '@stratum/core';

/**
 * The command line was used wrongly: an unknown command or option, a missing required option. The
 * `stratum` entry point prints the message and exits with code 2.
 *
 * @example
 * ```ts
 * await indexesSuggest({ workload: 'w.json' }); // CliUsageError [E_CLI_USAGE]: --db is required ...
 * ```
 */
export class CliUsageError extends StratumError<'E_CLI_USAGE'> {
  static override readonly code = 'E_CLI_USAGE' as const;
}
