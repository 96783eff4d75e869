// Bulk insert of Chinook-shaped invoice lines on SQLite and PostgreSQL: MikroORM's unit of work
// and insertMany, Stratum's BaseRepository.insertMany (on PostgreSQL by default its COPY path at this
// size, and its insert-statement path as `stratum-unnest`), and the drivers' best (raw better-sqlite3,
// raw pg unnest, and PostgreSQL COPY as the reference limit). See docs/benchmarks.md.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { from as copyFrom } from 'pg-copy-streams';
import { InvoiceLine } from '../../../examples/chinook/src/entities/index.js';
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  type Contender,
  collectEnv,
  interleave,
  ratios,
} from '../harness.js';
import {
  type BenchDatabase,
  digestOf,
  type InvoiceLineInput,
  invoiceLineRows,
  type PostgresBenchDatabase,
  type SqliteBenchDatabase,
  withBenchDatabases,
} from '../support/chinook-fixture.js';

/** Timed repetitions per contender (after one warm-up), in both modes. */
const REPS = 5;
/** Rows per statement of the raw pg contender. */
const RAW_PG_CHUNK = 10_000;

const INSERT_COLUMNS = 'invoice_line (invoice_id, track_id, unit_price, quantity)';

export interface BulkSizes {
  /** Rows of every contender but the per-row flush ones. */
  rows: number;
  /** Rows of `mikro-create-flush` and `create-flush-clear` (one flush, hence one transaction, per row). */
  perRowFlush: number;
}

/**
 * N = 100 000 rows (quick: 2000). The per-row flush contenders get 500 rows (quick: 100), below the
 * N/50 = 2000 first planned: one EntityManager flushing after each `create` rescans its whole
 * identity map on every flush, so its cost per row grows with the row count (13-15 ms/row at 2000
 * rows against 5-7 at 500 and 1.6-2 with `em.clear()` after each flush), and 2000 rows took
 * 30 s per repetition.
 */
export function bulkSizes(quick: boolean): BulkSizes {
  return quick ? { rows: 2_000, perRowFlush: 100 } : { rows: 100_000, perRowFlush: 500 };
}

/**
 * A contender whose rows are built fresh before every repetition (untimed), so no contender sees
 * objects another one (or its own previous repetition) touched, and whose work is verified once.
 */
function contender(
  database: BenchDatabase,
  label: string,
  count: number,
  work: (rows: InvoiceLineInput[]) => Promise<void> | void,
  extra: Partial<Contender> = {},
): Contender {
  let rows: InvoiceLineInput[] = [];
  return {
    db: database.db,
    label,
    rows: count,
    before: () => {
      rows = invoiceLineRows(count);
    },
    run: () => work(rows),
    verify: () => database.verify(`${database.db}/${label}`, digestOf(invoiceLineRows(count))),
    after: () => {
      rows = [];
    },
    ...extra,
  };
}

/** A fresh EntityManager fork for each repetition: an empty identity map, no autoflush before queries. */
function freshFork(database: BenchDatabase): SqlEntityManager<AbstractSqlDriver> {
  return database.orm.em.fork({ clear: true, flushMode: 'commit' });
}

/** The contenders both databases have: (a)-(d). */
function mikroOrmContenders(database: BenchDatabase, sizes: BulkSizes): Contender[] {
  return [
    contender(database, 'mikro-create-flush', sizes.perRowFlush, async (rows) => {
      const em: EntityManager = freshFork(database);
      for (const row of rows) {
        em.create(InvoiceLine, row);
        await em.flush();
      }
    }),
    contender(
      database,
      'create-flush-clear',
      sizes.perRowFlush,
      async (rows) => {
        const em: EntityManager = freshFork(database);
        for (const row of rows) {
          em.create(InvoiceLine, row);
          await em.flush();
          em.clear();
        }
      },
      { note: 'as mikro-create-flush, with em.clear() after each flush (a request-scoped EntityManager per row)' },
    ),
    contender(database, 'persist-flush', sizes.rows, async (rows) => {
      const em: EntityManager = freshFork(database);
      for (const row of rows) {
        em.create(InvoiceLine, row);
      }
      await em.flush();
    }),
    contender(database, 'mikro-insertmany', sizes.rows, async (rows) => {
      await freshFork(database).insertMany(InvoiceLine, rows);
    }),
    contender(database, 'stratum', sizes.rows, async (rows) => {
      const ids = await freshFork(database).getRepository(InvoiceLine).insertMany(rows);
      if (ids.length !== rows.length) {
        throw new Error(`stratum: insertMany returned ${ids.length} ids for ${rows.length} rows`);
      }
    }),
  ];
}

/** Stratum's insert-statement path on PostgreSQL (`unnest` per chunk), with the COPY path turned off. */
function postgresStratumUnnest(database: PostgresBenchDatabase, sizes: BulkSizes): Contender {
  return contender(
    database,
    'stratum-unnest',
    sizes.rows,
    async (rows) => {
      const repo = freshFork(database).getRepository(InvoiceLine);
      const ids = await repo.insertMany(rows, { copyThreshold: Number.POSITIVE_INFINITY });
      if (ids.length !== rows.length) {
        throw new Error(`stratum-unnest: insertMany returned ${ids.length} ids for ${rows.length} rows`);
      }
    },
    { note: 'insertMany with copyThreshold: Infinity (insert ... select * from unnest, 5000 rows per statement)' },
  );
}

/** (e) SQLite raw: one prepared statement run per row inside one better-sqlite3 transaction. */
function sqliteRaw(database: SqliteBenchDatabase, sizes: BulkSizes): Contender {
  return contender(database, 'raw', sizes.rows, (rows) => {
    const insert = database.raw.prepare(`insert into ${INSERT_COLUMNS} values (?, ?, ?, ?)`);
    database.raw.transaction((all: InvoiceLineInput[]) => {
      for (const r of all) {
        insert.run(r.invoice, r.track, r.unitPrice, r.quantity);
      }
    })(rows);
  });
}

/** (e) PostgreSQL raw: `insert ... select * from unnest(...)` per 10k rows, in one transaction. */
function postgresRaw(database: PostgresBenchDatabase, sizes: BulkSizes): Contender {
  const sql = `insert into ${INSERT_COLUMNS} select * from unnest($1::int[], $2::int[], $3::numeric[], $4::int[])`;
  return contender(database, 'raw', sizes.rows, async (rows) => {
    const client = database.raw;
    await client.query('begin');
    try {
      for (let start = 0; start < rows.length; start += RAW_PG_CHUNK) {
        const part = rows.slice(start, start + RAW_PG_CHUNK);
        const invoices = new Array<number>(part.length);
        const tracks = new Array<number>(part.length);
        const prices = new Array<number>(part.length);
        const quantities = new Array<number>(part.length);
        for (let i = 0; i < part.length; i++) {
          const r = part[i] as InvoiceLineInput;
          invoices[i] = r.invoice;
          tracks[i] = r.track;
          prices[i] = r.unitPrice;
          quantities[i] = r.quantity;
        }
        await client.query(sql, [invoices, tracks, prices, quantities]);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
  });
}

/** Text-format COPY data, about 64 KiB per chunk. */
function* copyText(rows: readonly InvoiceLineInput[]): Generator<string> {
  let buffer = '';
  for (const r of rows) {
    buffer += `${r.invoice}\t${r.track}\t${r.unitPrice}\t${r.quantity}\n`;
    if (buffer.length >= 65_536) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer.length > 0) {
    yield buffer;
  }
}

/** (f) PostgreSQL COPY FROM STDIN in one transaction: the reference limit, not a contender. */
function postgresCopy(database: PostgresBenchDatabase, sizes: BulkSizes): Contender {
  return contender(
    database,
    'copy',
    sizes.rows,
    async (rows) => {
      const client = database.raw;
      await client.query('begin');
      try {
        await pipeline(Readable.from(copyText(rows)), client.query(copyFrom(`copy ${INSERT_COLUMNS} from stdin`)));
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    { reference: true, note: 'COPY FROM STDIN (text), reference limit' },
  );
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const sizes = bulkSizes(quick);
  return withBenchDatabases(log, async (sqlite, postgres) => {
    const env = await collectEnv({
      quick,
      sqlite: (q) => sqlite.queryOne(q),
      postgresql: (q) => postgres.queryOne(q),
    });
    const notes = [
      `rows per contender: ${sizes.rows} (mikro-create-flush and create-flush-clear: ${sizes.perRowFlush}, one flush per row); ` +
        `${REPS} timed repetitions after 1 warm-up, round-robin; median`,
      `sqlite settings (MikroORM defaults, same file for raw): ${(await sqlite.settings()).join(', ')}`,
      `postgresql settings: ${(await postgres.settings()).join(', ')}`,
    ];

    const groups: [BenchDatabase, Contender[]][] = [
      [sqlite, [...mikroOrmContenders(sqlite, sizes), sqliteRaw(sqlite, sizes)]],
      [
        postgres,
        [
          ...mikroOrmContenders(postgres, sizes),
          postgresStratumUnnest(postgres, sizes),
          postgresRaw(postgres, sizes),
          postgresCopy(postgres, sizes),
        ],
      ],
    ];
    const results: BenchResult[] = [];
    for (const [database, contenders] of groups) {
      log(`${database.db}: ${contenders.map((c) => c.label).join(', ')}`);
      // Every repetition starts from the real data only (untimed delete; PostgreSQL also vacuums).
      results.push(...(await interleave(contenders, REPS, () => database.reset(), { log })));
      await database.reset();
    }

    return {
      name: 'bulk',
      env,
      results,
      ratios: {
        ...ratios(
          results,
          ['sqlite', 'postgresql'],
          [
            ['stratum', 'raw'],
            ['stratum', 'mikro-insertmany'],
            ['stratum', 'persist-flush'],
          ],
        ),
        // rows/s over rows/s (= time of copy over time of stratum): 0.9 means Stratum does 90% of COPY's rows/s.
        ...ratios(
          results,
          ['postgresql'],
          [
            ['stratum', 'copy'],
            ['stratum-unnest', 'raw'],
          ],
        ),
      },
      notes,
    };
  });
}
