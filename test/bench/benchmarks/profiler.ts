// What the query profiler costs: 10k primary-key findOne calls with no profiler and with the
// profiler capturing everything (timing, call stack, Stratum context, fingerprint, per-shape
// histogram, a profile scope and its report), on SQLite and PostgreSQL; and @Timed on a method
// against the plain method. See docs/benchmarks.md.
import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { instrument, profile, startProfiling, uninstrument } from '@stratum/profiler';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { Track } from '../../../examples/chinook/src/entities/index.js';
import { type BenchOptions, type BenchReport, type BenchResult, collectEnv, interleave, round } from '../harness.js';
import { type BenchDatabase, openPostgres, openSqlite } from '../support/chinook-fixture.js';
import { timedOverhead } from '../support/timed-bench.js';

const REPS = 9;
const TRACKS = 3503;

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const calls = quick ? 500 : 10_000;
  const sqlite = await openSqlite(log);
  try {
    const postgres = await openPostgres(log);
    try {
      const results: BenchResult[] = [];
      const ratios: Record<string, number> = {};
      for (const database of [sqlite, postgres] as BenchDatabase[]) {
        // One ORM, instrumented only for the profiled contenders (untimed, before each repetition) and
        // uninstrumented after: two ORM instances made the same way differ by up to ±7% here, more than
        // the overhead being measured.
        const orm = await MikroORM.init<AbstractSqlDriver>(
          chinookConfig(
            database.db === 'sqlite'
              ? { dbName: (database as typeof sqlite).file }
              : { clientUrl: (database as typeof postgres).url },
          ) as never,
        );
        // Connect before timing (a first connection sends its own setup statements).
        await orm.em.fork().findOne(Track, 1);
        try {
          const findMany = async () => {
            const em = orm.em.fork({ clear: true });
            for (let i = 0; i < calls; i++) {
              await em.findOne(Track, (i % TRACKS) + 1, { refresh: true });
            }
          };
          let captured = 0;
          let scoped = 0;
          log(`${database.db}: plain, profiled, profiled-scope (${calls} findOne by primary key each)`);
          const [plain, profiled, profiledScope] = await interleave(
            [
              { db: database.db, label: 'plain', rows: calls, run: findMany },
              {
                db: database.db,
                label: 'profiled',
                rows: calls,
                note: 'always-on profiler: timing, context, fingerprint, per-shape HDR histogram, sampled call sites',
                before: () => instrument(orm),
                after: () => uninstrument(orm),
                run: async () => {
                  const global = startProfiling({ slowQueryMs: Number.POSITIVE_INFINITY });
                  try {
                    await findMany();
                    global.fingerprints();
                    captured = global.totals().queries;
                  } finally {
                    global.stop();
                  }
                },
                verify: () => {
                  if (captured !== calls) {
                    throw new Error(`the profiler captured ${captured} queries, expected ${calls}`);
                  }
                },
              },
              {
                db: database.db,
                label: 'profiled-scope',
                rows: calls,
                note: 'profile() scope: every query kept with its call stack, then the report and the N+1 detector',
                before: () => instrument(orm),
                after: () => uninstrument(orm),
                run: async () => {
                  const report = await profile(findMany);
                  report.byFingerprint();
                  report.nPlusOne();
                  scoped = report.count;
                },
                verify: () => {
                  if (scoped !== calls) {
                    throw new Error(`the profile scope captured ${scoped} queries, expected ${calls}`);
                  }
                },
              },
            ],
            REPS,
            undefined,
            { log },
          );
          results.push(plain as BenchResult, profiled as BenchResult, profiledScope as BenchResult);
          // time over time: 1.05 means the profiled calls took 5% longer
          const over = (result: BenchResult | undefined) =>
            round((result as BenchResult).medianMs / (plain as BenchResult).medianMs, 3);
          ratios[`${database.db}:profiled/plain`] = over(profiled);
          ratios[`${database.db}:profiled-scope/plain`] = over(profiledScope);
        } finally {
          await orm.close(true);
        }
      }
      log('@Timed: an async method, plain vs decorated');
      const timed = await timedOverhead({ quick });
      results.push({
        db: 'none',
        label: '@Timed',
        rowsPerSec: round(1e9 / timed.timedNsPerCall, 0),
        medianMs: round(timed.timedNsPerCall / 1e6, 6),
        rows: 1,
        reps: REPS,
        minMs: round(timed.timedNsPerCall / 1e6, 6),
        maxMs: round(timed.timedNsPerCall / 1e6, 6),
        samplesMs: [],
        note: `per call; plain async method ${round(timed.plainNsPerCall, 1)} ns, sync plain ${round(timed.plainSyncNsPerCall, 1)} ns vs @Timed ${round(timed.timedSyncNsPerCall, 1)} ns`,
        ...{ timedOverheadNs: round(timed.timedOverheadNs, 1) },
      } as BenchResult);
      ratios['none:timed/plain'] = round(timed.timedNsPerCall / timed.plainNsPerCall, 3);
      return {
        name: 'profiler',
        env: await collectEnv({ quick, sqlite: sqlite.queryOne, postgresql: postgres.queryOne }),
        results,
        ratios,
        notes: [
          `${calls} findOne calls per repetition, each by primary key with refresh: true (always a query)`,
          `@Timed overhead per async call: ${round(timed.timedOverheadNs, 1)} ns (target ≤ 1000 ns)`,
        ],
      };
    } finally {
      await postgres.close();
    }
  } finally {
    await sqlite.close();
  }
}
