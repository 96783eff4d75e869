// What @stratum/sqlite's tuning buys, on Chinook files (see docs/sqlite.md and docs/benchmarks.md):
//   1. 1-row write transactions per second, through MikroORM (`em.transactional` inserting one invoice
//      line) and raw better-sqlite3, under SQLite's defaults (what MikroORM gives today), Rails 8's
//      pragmas, and each Stratum preset that writes;
//   2. 2 writer + 4 reader processes on one file for a fixed time: write and read throughput, and the
//      SQLITE_BUSY errors that reached the application, for MikroORM's defaults, Rails 8's pragmas
//      with MikroORM's deferred transactions, and Stratum `default` (plus Stratum with one writer);
//   3. read throughput of a query over every invoice line of Chinook ×100, with and without mmap.
// Contenders are interleaved round by round; every figure is a median of ≥ 5 repetitions.
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import {
  formatPragmas,
  pragmaStatements,
  RAILS8_PRAGMAS,
  SQLITE_PRESETS,
  type SqlitePragmas,
  type SqlitePresetName,
  sqliteTuningReport,
} from '@stratum/sqlite';
import Database from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection } from 'kysely';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { InvoiceLine } from '../../../examples/chinook/src/entities/index.js';
import { seedChinook } from '../../../examples/chinook/src/seeder.js';
import { contentionOptions } from '../../../packages/sqlite/test/fixtures/contention-modes.js';
import { createLedger, openLedger } from '../../../packages/sqlite/test/fixtures/ledger.js';
import { type ContentionResult, startContentionPool } from '../../../packages/sqlite/test/fixtures/run-contention.js';
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  type Contender,
  collectEnv,
  interleave,
  median,
  ratios,
  registerCleanup,
  round,
} from '../harness.js';
import { BASE_INVOICE_LINES, invoiceLineRows } from '../support/chinook-fixture.js';

const REPS = 5;
/**
 * Part 1: more repetitions, each in slices that the contenders take turns on, so that figures a few
 * percent apart (stratum-default against rails8) see the same phases of a noisy machine.
 */
const WRITE_REPS = 7;
const WRITE_SLICES = 4;

/** The pragma sets of part 1: SQLite's defaults (as MikroORM opens it), Rails 8, each Stratum preset that writes. */
const PRAGMA_SETS = ['mikro-default', 'rails8', 'stratum-default', 'stratum-durable', 'stratum-fast'] as const;
type PragmaSet = (typeof PRAGMA_SETS)[number];

const MODES = ['mikro-default', 'rails8', 'stratum-default'] as const;

interface Sizes {
  /** 1-row transactions per repetition of part 1. */
  txns: number;
  /** Seconds of each round of part 2. */
  contentionMs: number;
  /** Chinook scale of part 3, and queries per repetition. */
  readScale: number;
  queries: number;
}

function sizes(quick: boolean): Sizes {
  return quick
    ? { txns: 100, contentionMs: 600, readScale: 5, queries: 3 }
    : { txns: 1_000, contentionMs: 5_000, readScale: 100, queries: 5 };
}

function tempFile(label: string): string {
  const file = join(tmpdir(), `stratum_bench_sqlite_${process.pid}_${label}.sqlite`);
  removeFile(file);
  return file;
}

function removeFile(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}

function presetOf(set: PragmaSet): SqlitePresetName | undefined {
  return set.startsWith('stratum-') ? (set.slice('stratum-'.length) as SqlitePresetName) : undefined;
}

/** The pragmas a raw connection of a set gets (MikroORM itself only sets foreign_keys). */
function rawPragmas(set: PragmaSet): Partial<SqlitePragmas> {
  const preset = presetOf(set);
  if (preset) return SQLITE_PRESETS[preset].pragmas;
  return set === 'rails8' ? RAILS8_PRAGMAS : { foreign_keys: true };
}

/** The MikroORM options of a set on `file`. */
function ormConfig(set: PragmaSet, file: string) {
  const preset = presetOf(set);
  if (preset) return chinookConfig({ dbName: file }, { sqlite: { preset } });
  if (set === 'mikro-default') return chinookConfig({ driver: SqliteDriver, dbName: file }, { sqlite: false });
  return chinookConfig(
    {
      driver: SqliteDriver,
      dbName: file,
      onCreateConnection: async (connection: unknown) => {
        for (const sql of pragmaStatements(RAILS8_PRAGMAS)) {
          await (connection as DatabaseConnection).executeQuery(CompiledQuery.raw(sql));
        }
      },
    },
    { sqlite: false },
  );
}

interface WriteTarget {
  set: PragmaSet;
  file: string;
  orm: MikroORM<AbstractSqlDriver>;
  raw: Database.Database;
}

async function openWriteTargets(base: string, log: (line: string) => void): Promise<WriteTarget[]> {
  const targets: WriteTarget[] = [];
  registerCleanup(async () => {
    for (const t of targets) {
      t.raw.close();
      await t.orm.close(true);
      removeFile(t.file);
    }
  });
  for (const set of PRAGMA_SETS) {
    const file = tempFile(set);
    copyFileSync(base, file);
    const orm = await MikroORM.init<AbstractSqlDriver>(ormConfig(set, file) as never);
    await orm.connect();
    // The ORM switched the journal mode (a file setting) first; raw then shares it and sets the rest.
    const raw = new Database(file);
    for (const sql of pragmaStatements(rawPragmas(set))) raw.exec(sql);
    const [mode] = await (orm.em as SqlEntityManager).execute<{ journal_mode: string }[]>('pragma journal_mode');
    const [sync] = await (orm.em as SqlEntityManager).execute<{ synchronous: number }[]>('pragma synchronous');
    log(`  ${set}: journal_mode=${mode?.journal_mode} synchronous=${sync?.synchronous}`);
    targets.push({ set, file, orm, raw });
  }
  return targets;
}

function writeContenders(targets: readonly WriteTarget[], txns: number): Contender[] {
  const all = invoiceLineRows(txns);
  const per = Math.ceil(txns / WRITE_SLICES);
  const sliceRows = (slice: number) => all.slice(slice * per, (slice + 1) * per);
  return targets.flatMap((t): Contender[] => {
    const insert = t.raw.prepare(
      'insert into invoice_line (invoice_id, track_id, unit_price, quantity) values (?, ?, ?, ?)',
    );
    // Raw begins the way each setup would: IMMEDIATE for Stratum's presets, deferred otherwise.
    const begin = presetOf(t.set) ? 'begin immediate' : 'begin';
    return [
      {
        db: 'sqlite',
        label: t.set,
        rows: txns,
        note: 'MikroORM: em.fork().transactional(em => em.create(InvoiceLine, row)), one transaction per row',
        run: async (slice) => {
          for (const row of sliceRows(slice)) {
            await t.orm.em.fork().transactional(async (em) => {
              em.create(InvoiceLine, row);
            });
          }
        },
      },
      {
        db: 'sqlite',
        label: `raw-${t.set}`,
        rows: txns,
        note: `raw better-sqlite3: ${begin}; insert; commit`,
        run: (slice) => {
          for (const row of sliceRows(slice)) {
            t.raw.exec(begin);
            insert.run(row.invoice, row.track, row.unitPrice, row.quantity);
            t.raw.exec('commit');
          }
        },
      },
    ];
  });
}

interface ConcurrencyFigures {
  results: BenchResult[];
  ratios: Record<string, number>;
  notes: string[];
}

/** Part 2: rounds of each mode (and Stratum with one writer), interleaved, on a ledger file per mode. */
async function concurrency(durationMs: number, log: (line: string) => void): Promise<ConcurrencyFigures> {
  const runs = [
    ...MODES.map((mode) => ({ label: mode, mode, writers: 2 })),
    { label: 'stratum-default-single-writer', mode: 'stratum-default' as const, writers: 1 },
  ];
  const files = new Map<string, string>();
  for (const run of runs) {
    const file = tempFile(`ledger_${run.label}`);
    const orm = await openLedger(contentionOptions(run.mode, file));
    await createLedger(orm);
    await orm.close();
    files.set(run.label, file);
  }
  const pool = startContentionPool(2, 4);
  const stopPool = registerCleanup(async () => {
    await pool.close();
    for (const file of files.values()) removeFile(file);
  });
  const samples = new Map<string, ContentionResult[]>(runs.map((r) => [r.label, []]));
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? runs : [...runs].reverse();
      for (const run of order) {
        const result = await pool.round({
          file: files.get(run.label) as string,
          mode: run.mode,
          writers: run.writers,
          readers: 4,
          durationMs,
        });
        samples.get(run.label)?.push(result);
      }
      log(`  concurrency rep ${rep + 1}/${REPS} done`);
    }
  } finally {
    await stopPool();
  }
  const results: BenchResult[] = [];
  const out: Record<string, number> = {};
  const notes: string[] = [];
  const perSecond = (result: ContentionResult, role: 'writer' | 'reader') =>
    (result.reports.filter((r) => r.role === role).reduce((n, r) => n + r.ops, 0) * 1000) /
    Math.max(...result.reports.map((r) => r.elapsedMs));
  const writesPerSec = new Map<string, number>();
  for (const run of runs) {
    const rounds = samples.get(run.label) ?? [];
    const busy = rounds.reduce((n, r) => n + r.reports.reduce((m, x) => m + x.busyErrors, 0), 0);
    const other = rounds.reduce((n, r) => n + r.reports.reduce((m, x) => m + x.otherErrors, 0), 0);
    const violations = rounds.reduce((n, r) => n + r.reports.reduce((m, x) => m + x.violations, 0), 0);
    for (const role of ['writer', 'reader'] as const) {
      const rates = rounds.map((r) => perSecond(r, role));
      const elapsed = rounds.map((r) => r.elapsedMs);
      const rate = round(median(rates), 0);
      if (role === 'writer') writesPerSec.set(run.label, rate);
      results.push({
        db: 'sqlite',
        label: `${role === 'writer' ? 'writes' : 'reads'}:${run.label}`,
        rowsPerSec: rate,
        medianMs: round(median(elapsed), 1),
        rows: Math.round((rate * median(elapsed)) / 1000),
        reps: rounds.length,
        minMs: round(Math.min(...elapsed), 1),
        maxMs: round(Math.max(...elapsed), 1),
        samplesMs: elapsed,
        note: `${run.writers} writer + 4 reader processes, ${durationMs} ms rounds; ${role === 'writer' ? 'write' : 'read'} transactions/s per round: ${rates.map((x) => Math.round(x)).join(', ')}; SQLITE_BUSY reaching the app: ${busy}`,
      });
    }
    out[`sqlite:busy-errors:${run.label}`] = busy;
    notes.push(
      `concurrency ${run.label}: SQLITE_BUSY errors that reached the application ${busy}, other errors ${other}, reads that saw uncommitted or inconsistent data ${violations} (over ${rounds.length} rounds)`,
    );
  }
  const concurrent = writesPerSec.get('stratum-default') ?? 0;
  const single = writesPerSec.get('stratum-default-single-writer') ?? 0;
  if (single > 0) out['sqlite:concurrent-writes/single-writer'] = round(concurrent / single, 3);
  for (const mode of ['mikro-default', 'rails8']) {
    const theirs = writesPerSec.get(mode) ?? 0;
    if (theirs > 0) out[`sqlite:concurrent-writes:stratum-default/${mode}`] = round(concurrent / theirs, 3);
  }
  return { results, ratios: out, notes };
}

/** Part 3: one aggregate over every invoice line of Chinook ×scale, with the default preset's mmap and without. */
async function mmapReads(
  scale: number,
  queries: number,
  log: (line: string) => void,
): Promise<{ results: BenchResult[]; lines: number; bytes: number }> {
  const file = tempFile(`read_x${scale}`);
  const seeder = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ dbName: file }) as never);
  await seeder.schema.create();
  log(`  seeding Chinook ×${scale} for the read test`);
  const counts = await seedChinook(seeder.em.fork(), { scale });
  await seeder.close();
  const mmap = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ dbName: file }) as never);
  const plain = await MikroORM.init<AbstractSqlDriver>(
    chinookConfig({ dbName: file }, { sqlite: { preset: 'default', pragmas: { mmap_size: 0 } } }) as never,
  );
  registerCleanup(async () => {
    await mmap.close(true);
    await plain.close(true);
    removeFile(file);
  });
  const sql =
    'select t.genre_id as genre, count(*) as n, sum(il.unit_price * il.quantity) as total ' +
    'from invoice_line il join track t on t.id = il.track_id group by t.genre_id';
  const contender = (label: string, orm: MikroORM<AbstractSqlDriver>): Contender => ({
    db: 'sqlite',
    label,
    rows: counts.invoiceLines * queries,
    note: `${queries} × (${sql}) over ${counts.invoiceLines} invoice lines; rows/s = invoice lines read per second`,
    run: async () => {
      for (let i = 0; i < queries; i++) await (orm.em.fork() as SqlEntityManager).execute(sql);
    },
  });
  const results = await interleave([contender('mmap', mmap), contender('no-mmap', plain)], REPS, undefined, { log });
  const [pages] = await (mmap.em as SqlEntityManager).execute<{ page_count: number }[]>('pragma page_count');
  return { results, lines: counts.invoiceLines, bytes: (pages?.page_count ?? 0) * 4096 };
}

export async function run({ quick, log }: BenchOptions): Promise<BenchReport> {
  const size = sizes(quick);
  const base = tempFile('base');
  registerCleanup(() => removeFile(base));
  {
    // A Chinook file in rollback-journal mode (SQLite's default), copied for each pragma set.
    const orm = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ dbName: base }, { sqlite: false }) as never);
    await orm.schema.create();
    await seedChinook(orm.em.fork());
    await orm.close(true);
  }
  log('part 1: 1-row write transactions');
  const targets = await openWriteTargets(base, log);
  const stratum = targets.find((t) => t.set === 'stratum-default');
  const applied = stratum ? sqliteTuningReport(stratum.orm) : undefined;
  const writes = await interleave(
    writeContenders(targets, size.txns),
    WRITE_REPS,
    async () => {
      for (const t of targets) t.raw.prepare(`delete from invoice_line where id > ${BASE_INVOICE_LINES}`).run();
    },
    { log, slices: WRITE_SLICES },
  );
  log('part 2: writer and reader processes');
  const contention = await concurrency(size.contentionMs, log);
  log('part 3: reads with and without mmap');
  const reads = await mmapReads(size.readScale, size.queries, log);

  const results = [...writes, ...contention.results, ...reads.results];
  const sqliteVersion = async (sql: string) =>
    targets[0]?.raw.prepare(sql).get() as Record<string, unknown> | undefined;
  return {
    name: 'sqlite',
    env: await collectEnv({ quick, sqlite: sqliteVersion }),
    results,
    ratios: {
      // txns/s over txns/s.
      ...ratios(
        results,
        ['sqlite'],
        [
          ['stratum-default', 'mikro-default'],
          ['stratum-default', 'rails8'],
          ['stratum-durable', 'mikro-default'],
          ['stratum-fast', 'stratum-default'],
          ['raw-stratum-default', 'raw-mikro-default'],
          ['raw-stratum-default', 'raw-rails8'],
          ['stratum-default', 'raw-stratum-default'],
          ['mmap', 'no-mmap'],
        ],
      ),
      ...contention.ratios,
    },
    notes: [
      `stratum-default as applied: ${applied ? formatPragmas(applied) : 'unknown'}`,
      `rails8: ${pragmaStatements(RAILS8_PRAGMAS).join('; ')} (MikroORM's deferred BEGIN; raw-rails8 begins deferred too)`,
      'mikro-default: MikroORM 7.2.1 on better-sqlite3 as it opens a file: journal_mode=delete, synchronous=FULL, foreign_keys=on, busy timeout 5 s',
      `part 1: ${size.txns} one-row transactions per repetition (${WRITE_REPS} repetitions in ${WRITE_SLICES} interleaved slices), each pragma set on its own copy of a Chinook file`,
      ...contention.notes,
      `part 3: Chinook ×${size.readScale}, ${reads.lines} invoice lines, ${(reads.bytes / 1024 / 1024).toFixed(1)} MiB file; both read it through a warm 32 MiB page cache (the preset's), mmap is 128 MiB vs 0`,
      'figures taken on a noisy shared 2-core machine: compare ratios within one run, not across runs',
    ],
  };
}
