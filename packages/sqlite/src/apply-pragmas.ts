import { CompiledQuery, type DatabaseConnection } from 'kysely';
import type { PragmaMismatch, PragmaReport, SkippedPragma } from './pragma-report.js';
import { PRAGMA_SPECS, pragmaSql, type SqlitePragmaName, type SqlitePragmaValue } from './pragmas.js';
import type { ResolvedSqliteTuning } from './sqlite-tuning.js';

/**
 * Sets the tuning's pragmas on one connection, in order (busy timeout, journal mode, synchronous,
 * the rest, query_only last), then reads every one back and compares. Runs through kysely's
 * connection wrapper, which is what MikroORM's `onCreateConnection` hands over. On a read-only handle
 * the journal mode is only read back: changing it would need a write.
 *
 * @example
 * ```ts
 * const report = await applyPragmas(connection, resolveSqliteTuning({ dbName: file }));
 * report.mismatches; // []
 * ```
 */
export async function applyPragmas(
  connection: DatabaseConnection,
  tuning: ResolvedSqliteTuning,
): Promise<PragmaReport> {
  const skipped: SkippedPragma[] = [...tuning.skipped];
  for (const [name, value] of Object.entries(tuning.pragmas) as [SqlitePragmaName, SqlitePragmaValue][]) {
    if (tuning.readonly && name === 'journal_mode') {
      skipped.push({
        pragma: name,
        reason: 'read-only handle: the journal mode of the file is read back, not changed',
      });
      continue;
    }
    await connection.executeQuery(CompiledQuery.raw(pragmaSql(name, value)));
  }
  const actual: Partial<Record<SqlitePragmaName, SqlitePragmaValue | undefined>> = {};
  const mismatches: PragmaMismatch[] = [];
  for (const [name, asked] of Object.entries(tuning.pragmas) as [SqlitePragmaName, SqlitePragmaValue][]) {
    const value = await readPragma(connection, name);
    actual[name] = value;
    if (value !== asked) mismatches.push({ pragma: name, asked, actual: value });
  }
  return { file: tuning.file, asked: tuning.pragmas, actual, mismatches, skipped };
}

/**
 * The current value of a pragma on this connection, in the type of `SqlitePragmas`; `undefined` when
 * SQLite returns no row (e.g. `mmap_size` on `:memory:`).
 *
 * @example
 * ```ts
 * await readPragma(connection, 'synchronous'); // 'normal'
 * ```
 */
export async function readPragma(
  connection: DatabaseConnection,
  name: SqlitePragmaName,
): Promise<SqlitePragmaValue | undefined> {
  const { rows } = await connection.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`pragma ${name}`));
  const row = rows[0];
  return row === undefined ? undefined : PRAGMA_SPECS[name].fromDb(Object.values(row)[0]);
}
