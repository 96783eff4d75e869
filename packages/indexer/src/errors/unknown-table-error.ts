import { StratumError } from '@stratum/core';

/**
 * The workload reads or writes tables the target database does not have: most often the workload
 * was recorded against another schema, or `--db` points at the wrong database. Nothing is suggested
 * from a schema that does not match the workload.
 *
 * @example
 * ```ts
 * try {
 *   await suggestIndexes({ workload, clientUrl });
 * } catch (error) {
 *   if (error instanceof UnknownTableError) console.error(error.tables); // ['invoices']
 * }
 * ```
 */
export class UnknownTableError extends StratumError<'E_UNKNOWN_TABLE'> {
  static override readonly code = 'E_UNKNOWN_TABLE' as const;
  readonly tables: readonly string[];

  constructor(tables: readonly string[], database: string) {
    super(
      `the workload uses table${tables.length === 1 ? '' : 's'} ${tables.map((t) => JSON.stringify(t)).join(', ')} that database ${JSON.stringify(database)} does not have (is it the right database, with its schema migrated?)`,
    );
    this.tables = tables;
  }
}
