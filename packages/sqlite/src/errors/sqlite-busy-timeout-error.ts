import { StratumError } from '@stratum/core';

/**
 * A write could not get SQLite's write lock within the busy timeout: another connection (usually
 * another process) held it the whole time. Nothing was written by the failed statement or
 * transaction; retry later or raise `busy_timeout`. The message names the file and how long the
 * write waited.
 *
 * @example
 * ```ts
 * try {
 *   await orm.em.transactional((em) => em.insert(InvoiceLine, line));
 * } catch (error) {
 *   if (error instanceof SqliteBusyTimeoutError) console.log(error.file, error.waitedMs); // '/data/app.sqlite' 5003
 * }
 * ```
 */
export class SqliteBusyTimeoutError extends StratumError<'E_SQLITE_BUSY_TIMEOUT'> {
  static override readonly code = 'E_SQLITE_BUSY_TIMEOUT' as const;
  /** The database file. */
  readonly file: string;
  /** How long the write waited for the lock, in milliseconds (measured). */
  readonly waitedMs: number;
  /** The connection's busy timeout, in milliseconds. */
  readonly timeoutMs: number;

  constructor(file: string, waitedMs: number, timeoutMs: number, cause: unknown) {
    super(
      `SQLite write lock on ${file} not acquired after waiting ${waitedMs} ms (busy_timeout ${timeoutMs} ms): ` +
        'another connection held it; nothing was written.',
      { cause },
    );
    this.file = file;
    this.waitedMs = waitedMs;
    this.timeoutMs = timeoutMs;
  }
}
