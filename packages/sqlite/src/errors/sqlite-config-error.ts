import { StratumError } from '@stratum/core';

/**
 * The SQLite tuning was configured wrongly: an unknown pragma or preset, a value of the wrong type or
 * out of range, WAL asked for an in-memory database. Thrown by `sqliteTuning()` while the config is
 * built, so a bad setting never reaches the first query. The message states what was expected, then
 * what was received.
 *
 * @example
 * ```ts
 * sqliteTuning({ dbName: 'app.sqlite', pragmas: { mmap_size: -1 } });
 * // SqliteConfigError [E_SQLITE_CONFIG]: pragmas.mmap_size must be an integer from 0 to 9007199254740991 (bytes), but got: -1.
 * ```
 */
export class SqliteConfigError extends StratumError<'E_SQLITE_CONFIG'> {
  static override readonly code = 'E_SQLITE_CONFIG' as const;
  /** The option at fault, e.g. `pragmas.mmap_size` or `preset`. */
  readonly option: string;
  readonly received: unknown;

  constructor(option: string, message: string, received: unknown) {
    super(message);
    this.option = option;
    this.received = received;
  }
}
