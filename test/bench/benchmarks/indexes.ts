// What @stratum/indexer's migration buys: a Chinook app workload (test/support/chinook-app-workload.ts),
// recorded through @stratum/profiler from real MikroORM calls, advised on PostgreSQL with HypoPG (on the
// schema MikroORM creates: primary keys and the foreign-key indexes the entities declare), then timed
// with four index sets beyond the primary keys: none, the foreign-key indexes only, those plus the
// hand-picked expert set (test/support/chinook-expert-indexes.ts), those plus the advisor's. Total
// workload time is Σ calls × median time of each shape, server-side (EXPLAIN ANALYZE's Execution Time;
// writes inside a rolled-back transaction) and client wall time for the reads, the contenders
// interleaved. Also the advisor's own time and the index bytes of each set. PostgreSQL only in this
// slice (SQLite: not built yet). See docs/benchmarks.md.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { createIndexSql, parseWorkload, quoteIdent, renderMigration, suggestIndexes } from '@stratum/indexer';
import { instrument, profile, toWorkload } from '@stratum/profiler';
import pg from 'pg';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { CHINOOK_COUNTS, seedChinook } from '../../../examples/chinook/src/seeder.js';
import { runChinookApp } from '../../support/chinook-app-workload.js';
import { CHINOOK_EXPERT_INDEXES } from '../../support/chinook-expert-indexes.js';
import { generatedMigration } from '../../support/generated-migration.js';
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  collectEnv,
  interleave,
  median,
  registerCleanup,
  round,
} from '../harness.js';
import { BENCH_PG_ADMIN_URL } from '../support/chinook-fixture.js';

const REPS = 7;

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  // ×450: 1 008 000 invoice lines, the scale the issue asks the advisor to handle in under 60 s.
  const scale = quick ? 10 : 450;
  const dbName = `stratum_bench_indexer_${process.pid}`;
  const admin = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${quoteIdent(dbName)} with (force)`);
  await admin.query(`create database ${quoteIdent(dbName)}`);
  const dropDatabase = registerCleanup(async () => {
    await admin.query(`drop database if exists ${quoteIdent(dbName)} with (force)`);
    await admin.end();
  });
  const url = new URL(BENCH_PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  const clientUrl = url.toString();
  const migrationsDir = fileURLToPath(new URL(`./.indexer-migrations-${process.pid}/`, import.meta.url));
  const orm = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ clientUrl }) as never);
  const client = new pg.Client({ connectionString: clientUrl });
  try {
    await client.connect();
    await client.query('create extension if not exists hypopg');
    log(`seeding Chinook ×${scale} (${(CHINOOK_COUNTS.invoiceLines * scale).toLocaleString('en-US')} invoice lines)`);
    await orm.schema.create();
    await seedChinook(orm.em.fork() as SqlEntityManager, { scale });
    await client.query('analyze');

    log('recording the app workload through the profiler');
    instrument(orm);
    const report = await profile(() => runChinookApp(orm, scale));
    const workload = parseWorkload(JSON.parse(JSON.stringify(toWorkload(report.queries))));
    const reads = workload.statements.filter((s) => /^select/i.test(s.sql));

    log('advising');
    const advisorStarted = performance.now();
    const advice = await suggestIndexes({ workload, clientUrl });
    const advisorMs = performance.now() - advisorStarted;
    const advisorBytes = advice.suggestions.reduce((sum, s) => sum + s.reason.estimatedBytes, 0);
    const creates = advice.suggestions.map((s) => `${createIndexSql(s.index)}`);

    // The generated migration must run with MikroORM's Migrator: applied once here, reverted, then each
    // contender sets up its index set before each of its repetitions (untimed).
    const className = 'Migration20261204000000';
    const migrations = await generatedMigration(
      migrationsDir,
      className,
      renderMigration(advice.suggestions, { className }),
    );
    const migratorOrm = await MikroORM.init<AbstractSqlDriver>({
      ...chinookConfig({ clientUrl }),
      extensions: [Migrator],
      migrations,
    } as never);
    try {
      await migratorOrm.migrator.up();
      await migratorOrm.migrator.down();
    } finally {
      await migratorOrm.close(true);
    }

    // Every index that is not a primary key or a constraint: what the sets replace between repetitions.
    const secondary = async () =>
      (
        await client.query<{ name: string; def: string; bytes: string }>(
          `select c.relname as name, pg_get_indexdef(i.indexrelid) as def, pg_relation_size(i.indexrelid)::text as bytes
             from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
            where t.relnamespace::regnamespace::text = any(current_schemas(false)) and t.relname <> 'mikro_orm_migrations'
              and not i.indisprimary
              and not exists (select 1 from pg_constraint con where con.conindid = i.indexrelid)`,
        )
      ).rows;
    const fkIndexes = (await secondary()).map((row) => row.def);
    const sets: Record<string, readonly string[]> = {
      none: [],
      'fk-only': fkIndexes,
      expert: [...fkIndexes, ...CHINOOK_EXPERT_INDEXES.map((index) => index.sql)],
      advisor: [...fkIndexes, ...creates],
    };
    const bytes = new Map<string, number>();
    const writes = workload.statements.filter((s) => !/^select/i.test(s.sql));
    const server = new Map<string, number[][]>();
    const wall = new Map<string, number[][]>();
    const writeServer = new Map<string, number[][]>();
    const contender = (label: string) => {
      server.set(
        label,
        reads.map(() => []),
      );
      wall.set(
        label,
        reads.map(() => []),
      );
      writeServer.set(
        label,
        writes.map(() => []),
      );
      return {
        db: 'postgresql',
        label,
        rows: reads.length + writes.length,
        before: async () => {
          for (const index of await secondary()) await client.query(`drop index ${quoteIdent(index.name)}`);
          for (const sql of sets[label] ?? []) await client.query(sql);
          await client.query('analyze');
          bytes.set(
            label,
            (await secondary()).reduce((sum, index) => sum + Number(index.bytes), 0),
          );
        },
        run: async () => {
          for (const [i, statement] of reads.entries()) {
            const started = performance.now();
            await client.query(statement.sql, [...statement.params]);
            wall.get(label)?.[i]?.push(performance.now() - started);
            const { rows } = await client.query(`explain (analyze, format json) ${statement.sql}`, [
              ...statement.params,
            ]);
            server.get(label)?.[i]?.push(rows[0]['QUERY PLAN'][0]['Execution Time'] as number);
          }
          for (const [i, statement] of writes.entries()) {
            await client.query('begin');
            try {
              const { rows } = await client.query(`explain (analyze, format json) ${statement.sql}`, [
                ...statement.params,
              ]);
              const plan = rows[0]['QUERY PLAN'][0];
              writeServer
                .get(label)
                ?.[i]?.push((plan['Execution Time'] as number) + ((plan['Trigger Time'] as number) ?? 0));
            } finally {
              await client.query('rollback');
            }
          }
        },
      };
    };
    const results: BenchResult[] = await interleave(
      ['none', 'fk-only', 'expert', 'advisor'].map(contender),
      REPS,
      undefined,
      { log },
    );
    const total = (samples: Map<string, number[][]>, label: string, statements: typeof reads) =>
      statements.reduce((sum, statement, i) => sum + statement.calls * median(samples.get(label)?.[i] ?? [0]), 0);
    const serverTotal = (label: string) => total(server, label, reads);
    const wallTotal = (label: string) => total(wall, label, reads);
    const writeTotal = (label: string) => total(writeServer, label, writes);
    for (const result of results) {
      const label = result.label;
      result.note = `Σ calls × median: reads ${round(serverTotal(label), 2)} ms server, ${round(wallTotal(label), 2)} ms client; writes ${round(writeTotal(label), 2)} ms server; ${bytes.get(label) ?? 0} index bytes beyond the primary keys (the row's own figures: one pass over every shape)`;
    }
    results.push({
      db: 'postgresql',
      label: 'advisor-run',
      rowsPerSec: 0,
      medianMs: round(advisorMs, 1),
      rows: workload.statements.length,
      reps: 1,
      minMs: round(advisorMs, 1),
      maxMs: round(advisorMs, 1),
      samplesMs: [round(advisorMs, 1)],
      reference: true,
      note: `the advisor's own time on ${workload.statements.length} statements; ${advice.suggestions.length} indexes, ${advisorBytes} bytes estimated`,
    });
    const over = (a: number, b: number) => round(a / b, 2);
    return {
      name: 'indexes',
      env: {
        ...(await collectEnv({ quick, postgresql: async (sql) => (await client.query(sql)).rows[0] })),
        scale,
        invoiceLines: CHINOOK_COUNTS.invoiceLines * scale,
        hypopg: advice.schema.extensions.get('hypopg'),
      },
      results,
      ratios: {
        'postgresql:none/advisor': over(serverTotal('none'), serverTotal('advisor')),
        'postgresql:expert/advisor': over(serverTotal('expert'), serverTotal('advisor')),
        'postgresql:fk-only/advisor': over(serverTotal('fk-only'), serverTotal('advisor')),
        'postgresql:advisor-writes/none-writes': over(writeTotal('advisor'), writeTotal('none')),
        'postgresql-client:none/advisor': over(wallTotal('none'), wallTotal('advisor')),
        'postgresql-client:expert/advisor': over(wallTotal('expert'), wallTotal('advisor')),
      },
      notes: [
        `workload: ${workload.statements.length} shapes (${reads.length} reads, ${writes.length} writes), ${workload.statements.reduce((s, q) => s + q.calls, 0)} calls, recorded by @stratum/profiler`,
        `advisor (${advice.evaluation}, ${round(advisorMs, 0)} ms): ${advice.suggestions.map((s) => createIndexSql(s.index)).join('; ')}`,
        `index bytes beyond the primary keys: ${[...bytes].map(([label, b]) => `${label} ${b}`).join(', ')}`,
        'ratios are time over time (Σ calls × median per shape), server-side unless "-client"; writes run in a rolled-back transaction',
        'not built yet: SQLite',
      ],
    };
  } finally {
    await client.end().catch(() => {});
    await orm.close(true);
    await rm(migrationsDir, { recursive: true, force: true });
    await dropDatabase();
  }
}
