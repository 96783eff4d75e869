import { StratumError } from '@stratum/core';
import type { PragmaMismatch } from '../pragma-report.js';

/**
 * In `strict` mode, a pragma read back after applying the tuning differs from what was asked, so the
 * connection is refused (MikroORM.init fails) instead of running untuned. Without `strict`, the same
 * mismatch is a warning.
 *
 * @example
 * ```ts
 * await MikroORM.init({ ...sqliteTuning({ dbName: 'ro.sqlite', readonly: true, strict: true }), entities });
 * // SqlitePragmaMismatchError [E_SQLITE_PRAGMA_MISMATCH]: ro.sqlite: journal_mode asked wal, the database says delete.
 * ```
 */
export class SqlitePragmaMismatchError extends StratumError<'E_SQLITE_PRAGMA_MISMATCH'> {
  static override readonly code = 'E_SQLITE_PRAGMA_MISMATCH' as const;
  readonly file: string;
  readonly mismatches: readonly PragmaMismatch[];

  constructor(file: string, mismatches: readonly PragmaMismatch[]) {
    super(`${file}: ${describeMismatches(mismatches)}.`);
    this.file = file;
    this.mismatches = mismatches;
  }
}

/** `journal_mode asked wal, the database says delete; mmap_size asked …` */
export function describeMismatches(mismatches: readonly PragmaMismatch[]): string {
  return mismatches
    .map((m) => `${m.pragma} asked ${String(m.asked)}, the database says ${String(m.actual)}`)
    .join('; ');
}
