import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { type SqliteTuningOptions, sqliteTuning } from '@stratum/sqlite';
import { entities } from './entities/index.js';

/** The repository root (three levels above this file). */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Default SQLite database file of the example: `<repo>/.data/chinook.sqlite`. */
export const CHINOOK_SQLITE_PATH = resolve(REPO_ROOT, '.data/chinook.sqlite');

/** MikroORM options of the Chinook example, for either SQL driver (SQLite or PostgreSQL). */
export type ChinookConfig = Partial<Options<AbstractSqlDriver, SqlEntityManager<AbstractSqlDriver>>>;

/** How {@link chinookConfig} tunes SQLite: `@stratum/sqlite` options (without `dbName`), or `false` for MikroORM's defaults. */
export interface ChinookConfigOptions {
  /** @default { preset: 'default' } */
  sqlite?: false | Omit<SqliteTuningOptions, 'dbName'>;
}

/**
 * Builds the MikroORM config of the Chinook example. The driver is `overrides.driver` if given,
 * else PostgreSQL when `overrides.clientUrl` or the `STRATUM_PG_URL` environment variable is set,
 * else SQLite. PostgreSQL connects to `overrides.clientUrl ?? STRATUM_PG_URL` (an overriding
 * `dbName` picks another database on that server); SQLite opens `overrides.dbName`, else the
 * `STRATUM_SQLITE_PATH` environment variable, else `.data/chinook.sqlite`, creating the file's directory. Other overrides are merged over the defaults.
 * SQLite is tuned by `@stratum/sqlite` (the `default` preset: WAL, synchronous NORMAL, mmap, busy
 * timeout, BEGIN IMMEDIATE writes) when the driver is MikroORM's plain `SqliteDriver`; pass
 * `{ sqlite: false }` for MikroORM's own defaults, or other tuning options.
 *
 * @example
 * const orm = await MikroORM.init(chinookConfig({ driver: SqliteDriver, dbName: '/tmp/chinook.sqlite' }));
 * const pg = await MikroORM.init(chinookConfig({ clientUrl: 'postgresql://postgres@127.0.0.1:5432/chinook' }));
 * const untuned = await MikroORM.init(chinookConfig({ dbName: '/tmp/c.sqlite' }, { sqlite: false }));
 */
export function chinookConfig(overrides: ChinookConfig = {}, options: ChinookConfigOptions = {}): ChinookConfig {
  const envUrl = process.env.STRATUM_PG_URL || undefined;
  const driver = overrides.driver ?? ((overrides.clientUrl ?? envUrl) ? PostgreSqlDriver : SqliteDriver);
  const isSqlite = driver === SqliteDriver || driver.prototype instanceof SqliteDriver;
  const base: ChinookConfig = {
    driver,
    entities,
    metadataProvider: ReflectMetadataProvider,
    debug: false,
  };
  if (isSqlite) {
    const dbName = overrides.dbName ?? (process.env.STRATUM_SQLITE_PATH || CHINOOK_SQLITE_PATH);
    if (dbName !== ':memory:' && !dbName.startsWith('file:')) {
      mkdirSync(dirname(isAbsolute(dbName) ? dbName : resolve(dbName)), { recursive: true });
    }
    base.dbName = dbName;
  } else {
    base.clientUrl = overrides.clientUrl ?? envUrl;
  }
  const merged: ChinookConfig = { ...base, ...overrides };
  const tuning = options.sqlite ?? { preset: 'default' };
  if (merged.driver === SqliteDriver && tuning !== false && merged.dbName !== undefined) {
    merged.driver = sqliteTuning({ ...tuning, dbName: merged.dbName }).driver;
  }
  return defineConfig(merged);
}
