import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { sqliteTuning } from '@stratum/sqlite';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeWithPostgres } from './describe-with-service.js';
import { usePostgresDatabase } from './use-postgres-database.js';

/** The databases every Stratum feature is tested against. */
export type DriverName = 'sqlite' | 'postgresql';

/**
 * Connection options to spread into `MikroORM.init` (plus your entities and settings): for sqlite
 * `sqliteTuning({ dbName })` (`@stratum/sqlite`'s `default` preset: `{ driver, dbName }`), for postgresql `{ driver: PostgreSqlDriver, clientUrl }`. Typed as
 * one shape so `MikroORM.init({ ...ctx.options, ... })` infers `MikroORM<AbstractSqlDriver>` (an
 * `SqlEntityManager`) for both.
 */
export interface DriverOptions {
  driver: new (config: Configuration) => AbstractSqlDriver;
  /** sqlite: the database file path. */
  dbName?: string;
  /** postgresql: the isolated database's URL. */
  clientUrl?: string;
}

/** What a {@link describeEachDriver} suite gets: which database, and how to connect to its fresh copy. */
export interface DriverContext {
  /** Known while collecting. */
  readonly driver: DriverName;
  /** Readable inside hooks and tests only (the database is created in `beforeAll`). */
  readonly options: DriverOptions;
}

/** Options of {@link describeEachDriver}. */
export interface DescribeEachDriverOptions {
  /** Restrict to some drivers; default both. */
  drivers?: readonly DriverName[];
}

/**
 * Runs the same suite once per database: `sqlite` (a fresh SQLite FILE in the OS temp dir, deleted
 * after, with its -wal/-shm/-journal) and `postgresql` (a fresh `stratum_t_*` database, dropped after;
 * skipped without PostgreSQL, FAILED in CI without it). The suites are `<name> > sqlite` and
 * `<name> > postgresql`. Independent of any entity: `fn` brings its own via `ctx.options`.
 *
 * @example
 * describeEachDriver('BaseRepository.paginate', (ctx) => {
 *   let orm: MikroORM;
 *   beforeAll(async () => {
 *     orm = await MikroORM.init({ ...ctx.options, entities: [Author], metadataProvider: ReflectMetadataProvider });
 *     await orm.schema.create();
 *   });
 *   afterAll(() => orm.close());
 *   it(`pages on ${ctx.driver}`, async () => { ... });
 * });
 */
export function describeEachDriver(
  name: string,
  fn: (ctx: DriverContext) => void,
  options: DescribeEachDriverOptions = {},
): void {
  const drivers = options.drivers ?? ['sqlite', 'postgresql'];
  describe(name, () => {
    if (drivers.includes('sqlite')) {
      describe('sqlite', () => {
        fn(sqliteContext());
      });
    }
    if (drivers.includes('postgresql')) {
      describeWithPostgres('postgresql', () => {
        const db = usePostgresDatabase();
        fn({
          driver: 'postgresql',
          get options() {
            return { driver: PostgreSqlDriver, clientUrl: db.url };
          },
        });
      });
    }
  });
}

/**
 * Registers `beforeAll`/`afterAll` in the current suite for a fresh SQLite database file in the OS temp
 * dir (the file is created by whoever opens it first); it is deleted after the suite, with its
 * `-wal`, `-shm` and `-journal` companions. The returned path is readable in hooks and tests.
 *
 * @example
 * const file = useSqliteFile();
 * beforeAll(async () => { orm = await MikroORM.init({ driver: SqliteDriver, dbName: file.path, entities }); });
 */
export function useSqliteFile(): { readonly path: string } {
  let path: string | undefined;
  beforeAll(() => {
    path = join(tmpdir(), `stratum-t-${randomBytes(6).toString('hex')}.sqlite`);
  });
  afterAll(async () => {
    const file = path;
    path = undefined;
    if (file) await removeSqliteFile(file);
  });
  return {
    get path() {
      if (!path) throw new Error('useSqliteFile(): the file exists only inside hooks and tests');
      return path;
    },
  };
}

/**
 * Deletes a SQLite database file and its `-wal`, `-shm` and `-journal` companions (missing ones are
 * fine).
 *
 * @example
 * await removeSqliteFile('/tmp/stratum-t-1a2b3c.sqlite');
 */
export async function removeSqliteFile(path: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(`${path}${suffix}`, { force: true })));
}

function sqliteContext(): DriverContext {
  const file = useSqliteFile();
  return {
    driver: 'sqlite',
    get options() {
      // The embedded default as users get it: @stratum/sqlite's `default` preset (WAL, IMMEDIATE writes, …).
      return sqliteTuning({ dbName: file.path });
    },
  };
}
