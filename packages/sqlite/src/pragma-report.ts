import type { SqlitePragmaName, SqlitePragmas, SqlitePragmaValue } from './pragmas.js';

/** A pragma whose read-back differs from what the tuning asked. */
export interface PragmaMismatch {
  readonly pragma: SqlitePragmaName;
  readonly asked: SqlitePragmaValue;
  /** What the database says; `undefined` when it returned nothing (e.g. `mmap_size` on `:memory:`). */
  readonly actual: SqlitePragmaValue | undefined;
}

/** A pragma of the preset that was deliberately not set on this connection, and why. */
export interface SkippedPragma {
  readonly pragma: SqlitePragmaName;
  readonly reason: string;
}

/** What applying the tuning to one connection did: asked, read back, mismatches, skipped. */
export interface PragmaReport {
  /** The database file (`:memory:` for an in-memory database). */
  readonly file: string;
  readonly asked: Readonly<Partial<SqlitePragmas>>;
  /** Every asked pragma as read back after applying them all. */
  readonly actual: Readonly<Partial<Record<SqlitePragmaName, SqlitePragmaValue | undefined>>>;
  readonly mismatches: readonly PragmaMismatch[];
  readonly skipped: readonly SkippedPragma[];
}

/**
 * The applied pragmas in one line, as read back: `journal_mode=wal synchronous=normal …`.
 *
 * @example
 * ```ts
 * console.log(formatPragmas(sqliteTuningReport(orm)!)); // busy_timeout=5000 journal_mode=wal synchronous=normal …
 * ```
 */
export function formatPragmas(report: PragmaReport): string {
  return Object.entries(report.actual)
    .map(([name, value]) => `${name}=${value === undefined ? '(none)' : String(value)}`)
    .join(' ');
}
