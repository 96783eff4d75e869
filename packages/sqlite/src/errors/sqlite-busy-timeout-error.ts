import { DriverException, LockWaitTimeoutException } from '@mikro-orm/core';

/**
 * A write could not get SQLite's write lock within the busy timeout: another connection (usually
 * another process) held it the whole time. Nothing was written by the failed statement or
 * transaction; retry later or raise `busy_timeout`. The message names the file and how long the
 * write waited.
 *
 * It is MikroORM's `LockWaitTimeoutException` (what MikroORM itself throws for SQLITE_BUSY, and for a
 * lock timeout on PostgreSQL), so an app's `catch (e) { if (e instanceof LockWaitTimeoutException) … }`
 * keeps working; like every MikroORM driver exception, `code` is SQLite's (`SQLITE_BUSY`) and `cause`
 * is better-sqlite3's error.
 *
 * @example
 * ```ts
 * try {
 *   await orm.em.transactional((em) => em.insert(InvoiceLine, line));
 * } catch (error) {
 *   if (error instanceof SqliteBusyTimeoutError) console.log(error.file, error.waitedMs); // '/data/app.sqlite' 5003
 *   if (error instanceof LockWaitTimeoutException) retryLater(); // the same error, as MikroORM names it
 * }
 * ```
 */
export class SqliteBusyTimeoutError extends LockWaitTimeoutException {
  /** The database file. */
  readonly file: string;
  /** How long the write waited for the lock, in milliseconds (measured). */
  readonly waitedMs: number;
  /** The connection's busy timeout, in milliseconds. */
  readonly timeoutMs: number;

  constructor(file: string, waitedMs: number, timeoutMs: number, error: unknown) {
    const raw = driverErrorOf(error);
    super(raw);
    this.message =
      `SQLite write lock on ${file} not acquired after waiting ${waitedMs} ms (busy_timeout ${timeoutMs} ms): ` +
      'another connection held it; nothing was written.';
    Object.defineProperty(this, 'cause', { value: raw, writable: true, configurable: true });
    this.file = file;
    this.waitedMs = waitedMs;
    this.timeoutMs = timeoutMs;
  }
}

/** better-sqlite3's own error: `error`, or the driver error MikroORM's converter wrapped. */
function driverErrorOf(error: unknown): Error {
  if (error instanceof DriverException && error.cause instanceof Error) return error.cause;
  if (error instanceof Error) return error;
  return Object.assign(new Error(String(error)), { code: 'SQLITE_BUSY' });
}
