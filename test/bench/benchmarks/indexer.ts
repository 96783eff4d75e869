// What @stratum/indexer's migration buys: a Chinook app workload (test/support/chinook-app-workload.ts),
// recorded through @stratum/profiler from real MikroORM calls, advised on PostgreSQL with HypoPG, then
// timed with the schema MikroORM creates (primary keys and the foreign-key indexes the entities declare:
// "none" added) against the same schema plus the advisor's indexes. Total workload time is
// Σ calls × median time of each read shape, server-side (EXPLAIN ANALYZE's Execution Time) and client
// wall time (one round trip), the contenders interleaved. Also the advisor's own time and index bytes.
// PostgreSQL only in this slice (SQLite: not built yet). See docs/indexer.md.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Constructor, MikroORM } from '@mikro-orm/core';
import { type Migration, Migrator } from '@mikro-orm/migrations';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { createIndexSql, parseWorkload, quoteIdent, renderMigration, suggestIndexes } from '@stratum/indexer';
import { instrument, profile, toWorkload } from '@stratum/profiler';
import pg from 'pg';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { CHINOOK_COUNTS, seedChinook } from '../../../examples/chinook/src/seeder.js';
import { runChinookApp } from '../../support/chinook-app-workload.js';
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
  const scale = quick ? 10 : 100;
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
    const drops = advice.suggestions.map(
      (s) => `drop index if exists ${quoteIdent(s.index.schema)}.${quoteIdent(s.index.name)}`,
    );

    // The generated migration must run with MikroORM's Migrator: applied once here, reverted, then the
    // contenders create and drop the same indexes around their repetitions (untimed).
    const className = 'Migration20261204000000';
    await mkdir(migrationsDir, { recursive: true });
    await writeFile(join(migrationsDir, `${className}.ts`), renderMigration(advice.suggestions, { className }));
    const module = (await import(join(migrationsDir, `${className}.ts`))) as Record<string, Constructor<Migration>>;
    const migratorOrm = await MikroORM.init<AbstractSqlDriver>({
      ...chinookConfig({ clientUrl }),
      extensions: [Migrator],
      migrations: {
        migrationsList: [{ name: className, class: module[className] as Constructor<Migration> }],
        allOrNothing: false,
        snapshotOnMigrate: false,
        silent: true,
      },
    } as never);
    try {
      await migratorOrm.migrator.up();
      await migratorOrm.migrator.down();
    } finally {
      await migratorOrm.close(true);
    }

    const server = new Map<string, number[][]>();
    const wall = new Map<string, number[][]>();
    const contender = (label: string, before?: () => Promise<void>, after?: () => Promise<void>) => {
      server.set(
        label,
        reads.map(() => []),
      );
      wall.set(
        label,
        reads.map(() => []),
      );
      return {
        db: 'postgresql',
        label,
        rows: reads.length,
        before,
        after,
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
        },
      };
    };
    const results: BenchResult[] = await interleave(
      [
        contender('none'),
        contender(
          'advisor',
          async () => {
            for (const sql of creates) await client.query(sql);
            await client.query('analyze');
          },
          async () => {
            for (const sql of drops) await client.query(sql);
          },
        ),
      ],
      REPS,
      undefined,
      { log },
    );
    const total = (samples: Map<string, number[][]>, label: string) =>
      reads.reduce((sum, statement, i) => sum + statement.calls * median(samples.get(label)?.[i] ?? [0]), 0);
    const serverNone = total(server, 'none');
    const serverAdvisor = total(server, 'advisor');
    const wallNone = total(wall, 'none');
    const wallAdvisor = total(wall, 'advisor');
    for (const result of results) {
      const label = result.label;
      result.note = `Σ calls × median: server ${round(total(server, label), 2)} ms, client ${round(total(wall, label), 2)} ms (the row's own figures: one pass over the ${reads.length} read shapes)`;
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
    return {
      name: 'indexer',
      env: {
        ...(await collectEnv({ quick, postgresql: async (sql) => (await client.query(sql)).rows[0] })),
        scale,
        invoiceLines: CHINOOK_COUNTS.invoiceLines * scale,
        hypopg: advice.schema.extensions.get('hypopg'),
      },
      results,
      ratios: {
        'postgresql:none/advisor': round(serverNone / serverAdvisor, 2),
        'postgresql-client:none/advisor': round(wallNone / wallAdvisor, 2),
      },
      notes: [
        `workload: ${workload.statements.length} shapes (${reads.length} reads), ${workload.statements.reduce((s, q) => s + q.calls, 0)} calls, recorded by @stratum/profiler`,
        `advisor (${advice.evaluation}): ${advice.suggestions.map((s) => createIndexSql(s.index)).join('; ')}`,
        `index bytes: none 0 (added), advisor ${advisorBytes}`,
        'ratios are time over time (Σ calls × median per shape): none / advisor, server-side and client wall time',
        'not built yet: the expert and fk-only sets, SQLite, writes ratio, 1M-line scale',
      ],
    };
  } finally {
    await client.end().catch(() => {});
    await orm.close(true);
    await rm(migrationsDir, { recursive: true, force: true });
    await dropDatabase();
  }
}
