import { statSync } from 'node:fs';
import type { MikroORM } from '@mikro-orm/core';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { PRAGMA_ORDER, PRAGMA_SPECS, type SqlitePragmaName, type SqlitePragmaValue } from './pragmas.js';
import { SQLITE_PRESETS, type SqlitePresetName } from './presets.js';
import type { CheckpointResult } from './sqlite-connection-stats.js';
import { isMemoryDatabase } from './sqlite-tuning.js';
import { TunedSqliteConnection } from './tuned-sqlite-connection.js';

/** A pragma whose current value differs from the recommended one. */
export interface PragmaDifference {
  readonly pragma: SqlitePragmaName;
  readonly actual: SqlitePragmaValue | undefined;
  readonly recommended: SqlitePragmaValue;
  /** Why the recommended value is recommended. */
  readonly reason: string;
  /**
   * `file`: stored in the database (journal_mode). `connection`: lasts as long as a connection, so a
   * file inspected by path shows SQLite's defaults for it, not what the application sets.
   */
  readonly scope: 'file' | 'connection';
}

/** What {@link inspectSqlite} reports. */
export interface SqliteInspection {
  readonly file: string;
  /** The preset the recommendations come from. */
  readonly preset: SqlitePresetName;
  readonly pragmas: Readonly<Partial<Record<SqlitePragmaName, SqlitePragmaValue | undefined>>>;
  readonly recommended: Readonly<Partial<Record<SqlitePragmaName, SqlitePragmaValue>>>;
  readonly differences: readonly PragmaDifference[];
  /** Size of the `-wal` file (0 when there is none). */
  readonly walBytes: number;
  readonly pageSize: number;
  readonly pageCount: number;
  /** Unused pages (VACUUM would give them back). */
  readonly freelistCount: number;
  /** The last checkpoint this connection ran; `null` for a file inspected by path or before the first. */
  readonly lastCheckpoint: CheckpointResult | null;
  /** Checkpoints, busy waits and busy timeouts of the ORM's tuned connection (0 for a path). */
  readonly checkpoints: number;
  readonly busyWaits: number;
  readonly busyTimeouts: number;
}

/** Options of {@link inspectSqlite}. */
export interface InspectSqliteOptions {
  /** The preset to compare with; default the ORM's own preset, else `default`. */
  preset?: SqlitePresetName;
}

/**
 * Reports the current pragmas of a database beside the recommended ones (with the reason for each
 * difference), the WAL file size, page count, freelist and the last checkpoint. Pass the ORM to see
 * its write connection as configured, or a path to open the file read-only (then per-connection
 * pragmas show SQLite's defaults). Synchronous; returns data, prints nothing.
 *
 * @example
 * ```ts
 * const report = inspectSqlite(orm);
 * report.walBytes; // 0 after a TRUNCATE checkpoint
 * inspectSqlite('/data/app.sqlite').differences; // [{ pragma: 'journal_mode', actual: 'delete', recommended: 'wal', … }]
 * ```
 */
export function inspectSqlite(target: MikroORM | string, options: InspectSqliteOptions = {}): SqliteInspection {
  if (typeof target === 'string') {
    const database = new BetterSqlite3(target, { readonly: true, fileMustExist: !isMemoryDatabase(target) });
    try {
      return inspectDatabase(database, target, options.preset ?? 'default', undefined);
    } finally {
      database.close();
    }
  }
  const connection = target.em.getDriver().getConnection('write');
  const tuned = connection instanceof TunedSqliteConnection ? connection : undefined;
  const database = tuned ? tuned.sqliteDatabase : (Reflect.get(connection, 'database') as Database | undefined);
  const file = tuned?.file ?? String(target.config.get('dbName'));
  const preset = options.preset ?? tuned?.tuning.preset ?? 'default';
  if (!database?.open) {
    throw new Error(
      `inspectSqlite: the ORM's connection to ${file} is not open (call it after MikroORM.init, before close)`,
    );
  }
  return inspectDatabase(database, file, preset, tuned);
}

function inspectDatabase(
  database: Database,
  file: string,
  preset: SqlitePresetName,
  tuned: TunedSqliteConnection | undefined,
): SqliteInspection {
  const read = (name: string): unknown => {
    const row = database.prepare(`pragma ${name}`).get() as Record<string, unknown> | undefined;
    return row === undefined ? undefined : Object.values(row)[0];
  };
  const memory = isMemoryDatabase(file);
  const recommendedAll = tuned ? tuned.tuning.pragmas : SQLITE_PRESETS[preset].pragmas;
  const reasons = tuned ? tuned.tuning.reasons : SQLITE_PRESETS[preset].reasons;
  const pragmas: Partial<Record<SqlitePragmaName, SqlitePragmaValue | undefined>> = {};
  const recommended: Partial<Record<SqlitePragmaName, SqlitePragmaValue>> = {};
  const differences: PragmaDifference[] = [];
  for (const name of PRAGMA_ORDER) {
    const raw = read(name);
    const actual = raw === undefined ? undefined : PRAGMA_SPECS[name].fromDb(raw);
    pragmas[name] = actual;
    const wanted = recommendedAll[name];
    if (wanted === undefined || (memory && (name === 'journal_mode' || name === 'mmap_size'))) continue;
    recommended[name] = wanted;
    if (actual !== wanted) {
      differences.push({
        pragma: name,
        actual,
        recommended: wanted,
        reason: reasons[name] ?? '',
        scope: name === 'journal_mode' ? 'file' : 'connection',
      });
    }
  }
  return {
    file,
    preset,
    pragmas,
    recommended,
    differences,
    walBytes: memory ? 0 : walBytes(file),
    pageSize: Number(read('page_size')),
    pageCount: Number(read('page_count')),
    freelistCount: Number(read('freelist_count')),
    lastCheckpoint: tuned?.stats.lastCheckpoint ?? null,
    checkpoints: tuned?.stats.checkpoints ?? 0,
    busyWaits: tuned?.stats.busyWaits ?? 0,
    busyTimeouts: tuned?.stats.busyTimeouts ?? 0,
  };
}

/**
 * The size in bytes of a database's `-wal` file, 0 when it has none.
 *
 * @example
 * ```ts
 * walBytes('/data/app.sqlite'); // 4124152
 * ```
 */
export function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
