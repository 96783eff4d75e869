import { StratumError } from '@stratum/core';

/**
 * What the user gave `stratum` cannot be used: a file that is missing or is not what the command
 * reads, a config whose driver the command does not support, an unreachable database. The command
 * exits with code 2 and prints the message (no stack trace).
 *
 * @example
 * ```ts
 * await sqliteCheck({ file: 'missing.sqlite' }).catch((error) => error instanceof CliInputError); // true
 * ```
 */
export class CliInputError extends StratumError<'E_CLI_INPUT'> {
  static override readonly code = 'E_CLI_INPUT' as const;
}
