// Throw-away Chinook databases for the benchmarks: a SQLite file in os.tmpdir() and a PostgreSQL
// database `stratum_bench_<pid>`, each with the schema and the real Chinook data (seedChinook),
// plus a raw driver connection of its own (better-sqlite3, pg) for raw contenders and set-up SQL.
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import type { BulkInsertOptions } from '@stratum/core';
import { pragmaStatements, SQLITE_PRESETS } from '@stratum/sqlite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { InvoiceLine } from '../../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS, seedChinook } from '../../../examples/chinook/src/seeder.js';
import { type Contender, registerCleanup } from '../harness.js';

/** Admin URL of the benchmark's PostgreSQL: `STRATUM_PG_URL`, else the local trust-auth server. */
export const BENCH_PG_ADMIN_URL = process.env.STRATUM_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Invoice lines of the real Chinook data; rows a benchmark adds have ids above it. */
export const BASE_INVOICE_LINES = CHINOOK_COUNTS.invoiceLines;

/** An invoice line as the benchmarks insert it: relations as ids. */
export interface InvoiceLineInput {
  invoice: number;
  track: number;
  unitPrice: number;
  quantity: number;
}

/**
 * `n` deterministic Chinook-shaped invoice lines pointing to real invoices and tracks:
 * line i → invoice (i % 412) + 1, track (i·7 % 3503) + 1, unit price 1.99 for every tenth line
 * (video tracks) else 0.99, quantity 1..3.
 */
export function invoiceLineRows(n: number): InvoiceLineInput[] {
  const rows: InvoiceLineInput[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      invoice: (i % CHINOOK_COUNTS.invoices) + 1,
      track: ((i * 7) % CHINOOK_COUNTS.tracks) + 1,
      unitPrice: i % 10 === 0 ? 1.99 : 0.99,
      quantity: (i % 3) + 1,
    };
  }
  return rows;
}

/** What `verifyInserted` compares: count, sum of quantities, sum of prices in cents, sum of FK ids. */
export interface LinesDigest {
  count: number;
  quantity: number;
  cents: number;
  fks: number;
}

export function digestOf(rows: readonly InvoiceLineInput[]): LinesDigest {
  let quantity = 0;
  let cents = 0;
  let fks = 0;
  for (const r of rows) {
    quantity += r.quantity;
    cents += Math.round(r.unitPrice * 100);
    fks += r.invoice + r.track;
  }
  return { count: rows.length, quantity, cents, fks };
}

const DIGEST_SQL =
  'select count(*) as count, coalesce(sum(quantity), 0) as quantity, ' +
  'coalesce(sum(round(unit_price * 100)), 0) as cents, coalesce(sum(invoice_id + track_id), 0) as fks ' +
  `from invoice_line where id > ${BASE_INVOICE_LINES}`;

const DELETE_SQL = `delete from invoice_line where id > ${BASE_INVOICE_LINES}`;

function assertDigest(label: string, actual: Record<string, unknown>, expected: LinesDigest): void {
  const got: LinesDigest = {
    count: Number(actual.count),
    quantity: Number(actual.quantity),
    cents: Number(actual.cents),
    fks: Number(actual.fks),
  };
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(
      `${label}: wrong rows after the insert: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
    );
  }
}

/** A Chinook database of one kind, seeded, with MikroORM and a raw connection of its own. */
export interface BenchDatabase {
  db: 'sqlite' | 'postgresql';
  orm: MikroORM<AbstractSqlDriver>;
  /** Deletes the rows inserted by the benchmark (ids above the real data); PostgreSQL also vacuums. */
  reset(): Promise<void>;
  /** Throws unless the rows above the real data are exactly `expected`. */
  verify(label: string, expected: LinesDigest): Promise<void>;
  /** One row of a query on a set-up connection (SQLite: the raw one). */
  queryOne(sql: string): Promise<Record<string, unknown> | undefined>;
  /** Settings that shape write speed (pragmas, synchronous_commit...), as `name=value` strings. */
  settings(): Promise<string[]>;
  close(): Promise<void>;
}

export interface SqliteBenchDatabase extends BenchDatabase {
  db: 'sqlite';
  file: string;
  /** A better-sqlite3 connection of its own to the same file (foreign keys on, like MikroORM's). */
  raw: Database.Database;
}

export interface PostgresBenchDatabase extends BenchDatabase {
  db: 'postgresql';
  url: string;
  dbName: string;
  /** A pg client of its own on the same database, for the raw contenders only. */
  raw: pg.Client;
}

/**
 * A contender that inserts `rowCount` fresh invoice lines with `BaseRepository.insertMany(rows,
 * options)` on a fresh fork, and checks the database holds exactly them afterwards: the shape of the
 * `bulk-chunk-size` and `bulk-copy-threshold` contenders, which differ only in `options`.
 *
 * @example
 * insertManyContender(postgres, 10_000, 'copy-10000', { copyThreshold: 1 });
 */
export function insertManyContender(
  database: BenchDatabase,
  rowCount: number,
  label: string,
  options: BulkInsertOptions,
): Contender {
  let rows: InvoiceLineInput[] = [];
  return {
    db: database.db,
    label,
    rows: rowCount,
    before: () => {
      rows = invoiceLineRows(rowCount);
    },
    run: async () => {
      const em = database.orm.em.fork({ clear: true, flushMode: 'commit' });
      await em.getRepository(InvoiceLine).insertMany(rows, options);
    },
    verify: () => database.verify(`${database.db}/${label}`, digestOf(invoiceLineRows(rowCount))),
    after: () => {
      rows = [];
    },
  };
}

/**
 * Opens both seeded bench databases, runs `fn` with them, and closes them whatever happens (a
 * failed PostgreSQL open still closes the SQLite one).
 *
 * @example
 * return withBenchDatabases(log, async (sqlite, postgres) => {
 *   for (const database of [sqlite, postgres]) await timeSomething(database);
 *   return report;
 * });
 */
export async function withBenchDatabases<T>(
  log: (line: string) => void,
  fn: (sqlite: SqliteBenchDatabase, postgres: PostgresBenchDatabase) => Promise<T>,
): Promise<T> {
  const sqlite = await openSqlite(log);
  try {
    const postgres = await openPostgres(log);
    try {
      return await fn(sqlite, postgres);
    } finally {
      await postgres.close();
    }
  } finally {
    await sqlite.close();
  }
}

/**
 * A MikroORM instance of its own (own connections, own hooks) on a bench database, with the
 * Chinook example's configuration: for benchmarks that instrument or toggle one ORM. Close it.
 *
 * @example
 * const orm = await openOrm(sqlite);
 * try { await orm.em.fork().findOne(Track, 1); } finally { await orm.close(true); }
 */
export function openOrm(database: SqliteBenchDatabase | PostgresBenchDatabase): Promise<MikroORM<AbstractSqlDriver>> {
  return MikroORM.init<AbstractSqlDriver>(
    chinookConfig(database.db === 'sqlite' ? { dbName: database.file } : { clientUrl: database.url }) as never,
  );
}

async function initAndSeed(orm: MikroORM<AbstractSqlDriver>): Promise<void> {
  await orm.schema.create();
  await seedChinook(orm.em.fork());
}

/**
 * A seeded SQLite file `stratum_bench_<pid>.sqlite` in os.tmpdir(), tuned by `@stratum/sqlite`'s
 * `default` preset (the example config's default): the ORM applies it on its connection, the raw
 * better-sqlite3 handle gets the same pragmas, so raw stays the driver's best on the same settings.
 */
export async function openSqlite(log: (line: string) => void): Promise<SqliteBenchDatabase> {
  const file = join(tmpdir(), `stratum_bench_${process.pid}.sqlite`);
  const removeFiles = () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      rmSync(`${file}${suffix}`, { force: true });
    }
  };
  removeFiles();
  let orm: MikroORM<AbstractSqlDriver> | undefined;
  let raw: Database.Database | undefined;
  const cleanup = registerCleanup(async () => {
    raw?.close();
    await orm?.close(true);
    removeFiles();
  });
  try {
    log(`sqlite: seeding ${file}`);
    orm = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ driver: SqliteDriver, dbName: file }) as never);
    await initAndSeed(orm);
    raw = new Database(file);
    for (const sql of pragmaStatements(SQLITE_PRESETS.default.pragmas)) raw.exec(sql);
    const rawDb = raw;
    const ormDb = orm;
    return {
      db: 'sqlite',
      file,
      orm: ormDb,
      raw: rawDb,
      async reset() {
        rawDb.prepare(DELETE_SQL).run();
      },
      async verify(label, expected) {
        assertDigest(label, rawDb.prepare(DIGEST_SQL).get() as Record<string, unknown>, expected);
      },
      async queryOne(sql) {
        return rawDb.prepare(sql).get() as Record<string, unknown> | undefined;
      },
      async settings() {
        const pragmas = [
          'journal_mode',
          'synchronous',
          'foreign_keys',
          'page_size',
          'cache_size',
          'mmap_size',
          'locking_mode',
        ];
        const em = ormDb.em.fork();
        const out: string[] = [];
        for (const name of pragmas) {
          const [mikro] = await em.execute<Record<string, unknown>[]>(`pragma ${name}`);
          const own = rawDb.pragma(name, { simple: true });
          const mikroValue = mikro ? Object.values(mikro)[0] : undefined;
          out.push(mikroValue === own ? `${name}=${own}` : `${name}=${mikroValue} (MikroORM) / ${own} (raw)`);
        }
        return out;
      },
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A seeded PostgreSQL database `stratum_bench_<pid>` on {@link BENCH_PG_ADMIN_URL}, dropped by `close()`. */
export async function openPostgres(log: (line: string) => void): Promise<PostgresBenchDatabase> {
  const dbName = `stratum_bench_${process.pid}`;
  const url = new URL(BENCH_PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const quoted = pg.escapeIdentifier(dbName);
  await admin(`drop database if exists ${quoted} with (force)`);
  await admin(`create database ${quoted}`);
  let orm: MikroORM<AbstractSqlDriver> | undefined;
  let raw: pg.Client | undefined;
  let control: pg.Client | undefined;
  const cleanup = registerCleanup(async () => {
    await raw?.end().catch(() => {});
    await control?.end().catch(() => {});
    await orm?.close(true);
    await admin(`drop database if exists ${quoted} with (force)`);
  });
  try {
    log(`postgresql: seeding ${dbName}`);
    orm = await MikroORM.init<AbstractSqlDriver>(
      chinookConfig({ driver: PostgreSqlDriver, clientUrl: url.toString() }) as never,
    );
    await initAndSeed(orm);
    raw = new pg.Client({ connectionString: url.toString() });
    await raw.connect();
    // Resets, checks and settings go through a connection of their own: the backend that ran the
    // untimed delete and vacuum ran the next COPY of 100 000 rows slower (median of 6 rounds 3.1 s,
    // against 2.2 s on a fresh connection in the same rounds; equal once resets moved here), which
    // handicapped the raw contenders.
    control = new pg.Client({ connectionString: url.toString() });
    await control.connect();
    await control.query('vacuum analyze');
    const client = control;
    return {
      db: 'postgresql',
      url: url.toString(),
      dbName,
      orm,
      raw,
      async reset() {
        await client.query(DELETE_SQL);
        // Dead rows would otherwise be vacuumed by autovacuum in the middle of a timed repetition.
        await client.query('vacuum invoice_line');
      },
      async verify(label, expected) {
        assertDigest(label, (await client.query(DIGEST_SQL)).rows[0] as Record<string, unknown>, expected);
      },
      async queryOne(sql) {
        return (await client.query(sql)).rows[0] as Record<string, unknown> | undefined;
      },
      async settings() {
        const names = ['synchronous_commit', 'fsync', 'wal_level', 'shared_buffers', 'max_wal_size'];
        const out: string[] = [];
        for (const name of names) {
          const row = (await client.query(`show ${name}`)).rows[0] as Record<string, unknown>;
          out.push(`${name}=${String(row[name])}`);
        }
        return out;
      },
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
