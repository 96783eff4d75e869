import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SqlitePlatform } from '@mikro-orm/sql';
import { inspectSqlite, SQLITE_PRESETS, type SqliteInspection, type SqlitePresetName } from '@stratum/sqlite';
import { CliInputError } from '../errors/cli-input-error.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { loadMikroOrmConfig } from '../load-mikro-orm-config.js';

/** Options of {@link sqliteCheck}: a file, or the app's MikroORM config (its `dbName`). */
export interface SqliteCheckOptions {
  /** The SQLite file to check. Without it, the `dbName` of the MikroORM config. */
  readonly file?: string;
  /** The MikroORM config file (when no `file` is given); default: where MikroORM's CLI looks. */
  readonly config?: string;
  /** The preset to compare with. @default 'default' */
  readonly preset?: string;
}

/** What `stratum sqlite check` found: the inspection, and which differences are findings. */
export interface SqliteCheckReport {
  readonly file: string;
  readonly inspection: SqliteInspection;
  /**
   * Differences stored in the file itself (`journal_mode`): what every connection gets, so a
   * finding to fix. Exit code 1 when there is one.
   */
  readonly findings: SqliteInspection['differences'];
  /**
   * Differences of per-connection pragmas: a file opened by path shows SQLite's defaults for them,
   * not what the app sets on its connections (`@stratum/sqlite` sets them on each one).
   */
  readonly perConnection: SqliteInspection['differences'];
  readonly exitCode: ExitCode;
}

/**
 * `stratum sqlite check [file]`: the file's pragmas beside the preset's, the WAL size, page count,
 * freelist and last checkpoint — as data (the entry point prints it). Opens the file read-only, so
 * it can run beside the app. A missing file, a config that is not SQLite, or an unknown preset is a
 * {@link CliInputError} (exit code 2).
 *
 * @example
 * ```ts
 * const report = await sqliteCheck({ file: '.data/chinook.sqlite' });
 * report.inspection.walBytes; // 0
 * report.findings; // [] once journal_mode is wal
 * ```
 */
export async function sqliteCheck(options: SqliteCheckOptions = {}): Promise<SqliteCheckReport> {
  const preset = options.preset ?? 'default';
  if (!Object.hasOwn(SQLITE_PRESETS, preset)) {
    throw new CliInputError(`Unknown preset "${preset}": expected one of ${Object.keys(SQLITE_PRESETS).join(', ')}.`);
  }
  const file = options.file ?? (await sqliteFileOfConfig(options.config));
  const path = resolve(file);
  if (!existsSync(path)) throw new CliInputError(`No SQLite file at ${path}.`);
  let inspection: SqliteInspection;
  try {
    inspection = inspectSqlite(path, { preset: preset as SqlitePresetName });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new CliInputError(`Cannot read ${path} as an SQLite database: ${message}`, { cause });
  }
  const findings = inspection.differences.filter((difference) => difference.scope === 'file');
  const perConnection = inspection.differences.filter((difference) => difference.scope !== 'file');
  return {
    file: path,
    inspection,
    findings,
    perConnection,
    exitCode: findings.length > 0 ? EXIT_CODES.findings : EXIT_CODES.ok,
  };
}

/** The SQLite file of the app's MikroORM config. */
async function sqliteFileOfConfig(configPath: string | undefined): Promise<string> {
  const config = await loadMikroOrmConfig(configPath === undefined ? {} : { config: configPath });
  const platform = config.getPlatform();
  const dbName = config.get('dbName');
  if (!(platform instanceof SqlitePlatform) || typeof dbName !== 'string' || dbName === '') {
    throw new CliInputError(
      `The MikroORM config does not use SQLite (its platform is ${platform.constructor.name}): pass the file to check.`,
    );
  }
  if (dbName === ':memory:')
    throw new CliInputError('The MikroORM config uses an in-memory database: nothing to check.');
  return dbName;
}
