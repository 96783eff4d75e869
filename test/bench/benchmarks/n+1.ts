// N+1: the lines of N invoices (10 lines each), loaded every way a MikroORM user can: lazy loading
// one collection per invoice (the N+1, in MikroORM's default flush mode and with flushMode 'commit'),
// populate (select-in and joined), MikroORM's `dataloader` option, and Stratum's loaders. Queries
// and wall time side by side, on SQLite and PostgreSQL. See docs/benchmarks.md.
import { FlushMode, MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { loaders } from '@stratum/dataloader';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { Invoice, InvoiceLine } from '../../../examples/chinook/src/entities/index.js';
import { type BenchOptions, type BenchReport, type BenchResult, collectEnv, interleave, round } from '../harness.js';
import { type BenchDatabase, withBenchDatabases } from '../support/chinook-fixture.js';

const LINES_PER_INVOICE = 10;
/** Bench invoices and lines get ids from here up, far above the real data. */
const FIRST_ID = 1_000_001;

type Contender = {
  label: string;
  /** Loads the lines of every invoice of `invoices` (already loaded in `em`); returns the line count. */
  load: (em: SqlEntityManager, invoices: Invoice[]) => Promise<number>;
  flushMode?: FlushMode;
  /** Gets a fresh EntityManager and the invoice ids, not the loaded invoices (it loads them itself). */
  fresh?: boolean;
  note: string;
};

const CONTENDERS: Contender[] = [
  {
    label: 'naive',
    note: 'for each invoice: await invoice.lines.load() (MikroORM default flush mode: auto)',
    load: async (_em, invoices) => {
      let lines = 0;
      for (const invoice of invoices) lines += (await invoice.lines.load()).length;
      return lines;
    },
  },
  {
    label: 'naive-commit',
    flushMode: FlushMode.COMMIT,
    note: "the same N+1 with flushMode: 'commit' (no auto-flush check before each query)",
    load: async (_em, invoices) => {
      let lines = 0;
      for (const invoice of invoices) lines += (await invoice.lines.load()).length;
      return lines;
    },
  },
  {
    label: 'populate-select-in',
    note: "em.populate(invoices, ['lines'], { strategy: 'select-in' })",
    load: async (em, invoices) => {
      await em.populate(invoices, ['lines'], { strategy: 'select-in' });
      return invoices.reduce((sum, invoice) => sum + invoice.lines.length, 0);
    },
  },
  {
    label: 'populate-joined',
    fresh: true,
    note: "em.find(Invoice, { id: { $in } }, { populate: ['lines'], strategy: 'joined' }) on a fresh EntityManager: the invoices come with their lines, so this one also loads the invoices",
    load: async (em, invoices) => {
      const loaded = await em.find(
        Invoice,
        { id: { $in: invoices.map((invoice) => invoice.id) } },
        { populate: ['lines'], strategy: 'joined' },
      );
      return loaded.reduce((sum, invoice) => sum + invoice.lines.length, 0);
    },
  },
  {
    label: 'mikro-dataloader',
    note: 'Promise.all(invoices.map(i => i.lines.load({ dataloader: true }))): MikroORM 7 batches them into one query',
    load: async (_em, invoices) => {
      const loaded = await Promise.all(invoices.map((invoice) => invoice.lines.load({ dataloader: true })));
      return loaded.reduce((sum, lines) => sum + lines.length, 0);
    },
  },
  {
    label: 'stratum',
    note: "Promise.all(invoices.map(i => loaders(em).collection(Invoice, 'lines').load(i))): one query, matched by hash",
    load: async (em, invoices) => {
      const linesOf = loaders(em).collection(Invoice, 'lines');
      const loaded = await Promise.all(invoices.map((invoice) => linesOf.load(invoice)));
      return loaded.reduce((sum, lines) => sum + lines.length, 0);
    },
  },
];

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const sizes = quick ? [20, 100] : [100, 1000];
  const reps = 5; // the naive N+1 takes tens of seconds a repetition at N = 1000
  const results: BenchResult[] = [];
  const ratios: Record<string, number> = {};
  const queriesPerSize: Record<string, Record<string, number>> = {};
  return withBenchDatabases(log, async (sqlite, postgres) => {
    for (const database of [sqlite, postgres] as BenchDatabase[]) {
      const largest = sizes[sizes.length - 1] as number;
      await addInvoices(database, largest);
      let queries = 0;
      const orm = await MikroORM.init<AbstractSqlDriver>({
        ...chinookConfig(
          database.db === 'sqlite'
            ? { dbName: (database as typeof sqlite).file }
            : { clientUrl: (database as typeof postgres).url },
        ),
        onQuery: (sql: string) => {
          queries++;
          return sql;
        },
      } as never);
      try {
        // One untimed pass per size: queries sent by each contender, and the answers checked.
        for (const n of sizes) {
          for (const contender of CONTENDERS) {
            const { em, invoices } = await invoicesOf(orm, n, contender);
            queries = 0;
            const lines = await contender.load(em, invoices);
            if (lines !== n * LINES_PER_INVOICE) {
              throw new Error(`${contender.label} loaded ${lines} lines for ${n} invoices`);
            }
            const perSize = queriesPerSize[`${database.db}:${contender.label}`] ?? {};
            perSize[String(n)] = queries;
            queriesPerSize[`${database.db}:${contender.label}`] = perSize;
          }
        }
        log(
          `${database.db}: ${CONTENDERS.map((c) => c.label).join(', ')} (${largest} invoices × ${LINES_PER_INVOICE} lines)`,
        );
        let prepared: { em: SqlEntityManager; invoices: Invoice[] } | undefined;
        const timed = await interleave(
          CONTENDERS.map((contender) => ({
            db: database.db,
            label: contender.label,
            rows: largest * LINES_PER_INVOICE,
            note: `${contender.note}; queries per N: ${JSON.stringify(queriesPerSize[`${database.db}:${contender.label}`])}`,
            // A fresh request each time: the invoices loaded (untimed), their lines not.
            before: async () => {
              prepared = await invoicesOf(orm, largest, contender);
            },
            run: async () => {
              const { em, invoices } = prepared as { em: SqlEntityManager; invoices: Invoice[] };
              await contender.load(em, invoices);
            },
          })),
          reps,
          undefined,
          { log },
        );
        results.push(...timed);
        const ms = (label: string) => (timed.find((r) => r.label === label) as BenchResult).medianMs;
        const bestPopulate = Math.min(ms('populate-select-in'), ms('populate-joined'));
        ratios[`${database.db}:naive/stratum`] = round(ms('naive') / ms('stratum'), 2);
        ratios[`${database.db}:naive-commit/stratum`] = round(ms('naive-commit') / ms('stratum'), 2);
        ratios[`${database.db}:stratum/populate`] = round(ms('stratum') / bestPopulate, 3);
        ratios[`${database.db}:mikro-dataloader/stratum`] = round(ms('mikro-dataloader') / ms('stratum'), 2);
      } finally {
        await orm.close(true);
      }
    }
    return {
      name: 'n+1',
      env: await collectEnv({ quick, sqlite: sqlite.queryOne, postgresql: postgres.queryOne }),
      results: results.map((result) => ({
        ...result,
        queries: queriesPerSize[`${result.db}:${result.label}`],
      })) as BenchResult[],
      ratios,
      notes: [
        `${sizes.at(-1)} invoices × ${LINES_PER_INVOICE} lines; each repetition is a fresh EntityManager with the invoices already loaded (untimed)`,
        'ratios are wall time over wall time; stratum/populate compares with the faster populate strategy',
        `queries per number of invoices: ${JSON.stringify(queriesPerSize)}`,
      ],
    };
  });
}

/** Adds `n` invoices of 10 lines each (ids from FIRST_ID), unless they are there already. */
async function addInvoices(database: BenchDatabase, n: number): Promise<void> {
  const em = database.orm.em.fork();
  await em.nativeDelete(InvoiceLine, { id: { $gte: FIRST_ID } });
  await em.nativeDelete(Invoice, { id: { $gte: FIRST_ID } });
  const invoices = Array.from({ length: n }, (_, i) => ({
    id: FIRST_ID + i,
    customer: (i % 59) + 1,
    invoiceDate: new Date(Date.UTC(2026, 0, 1 + (i % 365))),
    billingCountry: 'Bench',
    total: 9.9,
  }));
  await em.getRepository(Invoice).insertMany(invoices as never);
  const lines = invoices.flatMap((invoice, i) =>
    Array.from({ length: LINES_PER_INVOICE }, (_, j) => ({
      id: FIRST_ID + i * LINES_PER_INVOICE + j,
      invoice: invoice.id,
      track: ((i * LINES_PER_INVOICE + j) % 3503) + 1,
      unitPrice: 0.99,
      quantity: 1,
    })),
  );
  await em.getRepository(InvoiceLine).insertMany(lines as never);
}

/**
 * A fresh EntityManager holding the first `n` bench invoices, their lines not loaded; for a `fresh`
 * contender, the invoices are loaded in another EntityManager (only their ids matter to it).
 */
async function invoicesOf(
  orm: MikroORM<AbstractSqlDriver>,
  n: number,
  contender: Contender,
): Promise<{ em: SqlEntityManager; invoices: Invoice[] }> {
  const { flushMode, fresh } = contender;
  const em = orm.em.fork({ clear: true, ...(flushMode ? { flushMode } : {}) });
  if (fresh) {
    const invoices = await orm.em.fork().find(Invoice, { id: { $gte: FIRST_ID, $lt: FIRST_ID + n } });
    return { em, invoices };
  }
  const invoices = await em.find(Invoice, { id: { $gte: FIRST_ID, $lt: FIRST_ID + n } }, { orderBy: { id: 'asc' } });
  return { em, invoices };
}
