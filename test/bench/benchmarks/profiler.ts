// What the query profiler costs: 10k primary-key findOne calls with no profiler and with the
// profiler capturing everything (timing, call stack, Stratum context, fingerprint, per-shape
// histogram, a profile scope and its report), on SQLite and PostgreSQL; and @Timed on a method
// against the plain method. See docs/benchmarks.md.
import { instrument, profile, startProfiling, uninstrument } from '@stratum/profiler';
import { Track } from '../../../examples/chinook/src/entities/index.js';
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  collectEnv,
  interleave,
  pairedSliceTimeRatio,
  pairedTimeRatio,
  round,
} from '../harness.js';
import { openOrm, withBenchDatabases } from '../support/chinook-fixture.js';
import { timedOverhead } from '../support/timed-bench.js';

/** Repetitions of the always-on comparison (the target's): its ratio moved by ±4% between runs with 9. */
const REPS = 15;
/** Repetitions of the profile() scope comparison (no target). */
const SCOPE_REPS = 9;
/** Each repetition's calls run in slices, the contenders taking turns (see `interleave`'s `slices`). */
const SLICES = 10;
/** Untimed calls before each slice (see `settle`); a fifth of that with `--quick`. */
const SETTLE_CALLS = 200;
const TRACKS = 3503;

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const calls = quick ? 500 : 10_000;
  const perSlice = calls / SLICES;
  return withBenchDatabases(log, async (sqlite, postgres) => {
    const results: BenchResult[] = [];
    const ratios: Record<string, number> = {};
    for (const database of [sqlite, postgres]) {
      // ONE ORM, instrumented for the profiled slices only (before each, untimed) and uninstrumented
      // after. Several ORMs of the same entity classes are not comparable: MikroORM defines `__meta`,
      // `__helper` and the property accessors on the shared prototypes, for the ORM initialised last
      // (a plain twin ORM differed from plain by up to 7%). uninstrument() assigns the logger's method
      // back rather than deleting it, so the toggling changes no hidden class MikroORM's code saw.
      const orm = await openOrm(database);
      try {
        // Connect before timing (a first connection sends its own setup statements).
        await orm.em.fork().findOne(Track, 1);
        // Untimed, before every slice of every contender, after its instrument(): the JIT re-settles
        // after MikroORM's hooks change (a real app instruments once), and every contender gets it.
        const settle = async () => {
          const em = orm.em.fork({ clear: true });
          for (let i = 0; i < (quick ? SETTLE_CALLS / 5 : SETTLE_CALLS); i++) {
            await em.findOne(Track, TRACKS - i, { refresh: true });
          }
        };
        // One slice of a repetition's calls: slice k asks for the tracks after those of slice k - 1.
        const findMany = async (slice: number) => {
          const em = orm.em.fork({ clear: true });
          for (let i = slice * perSlice; i < (slice + 1) * perSlice; i++) {
            await em.findOne(Track, (i % TRACKS) + 1, { refresh: true });
          }
        };
        let captured = 0;
        let scoped = 0;
        log(`${database.db}: plain, plain-twin, profiled (${calls} findOne by primary key each)`);
        const [plain, twin, profiled] = await interleave(
          [
            { db: database.db, label: 'plain', rows: calls, before: settle, run: findMany },
            {
              db: database.db,
              label: 'plain-twin',
              rows: calls,
              note: 'control: plain again in its own slot; plain-twin/plain is the noise floor of the run',
              before: settle,
              run: findMany,
            },
            {
              db: database.db,
              label: 'profiled',
              rows: calls,
              note: 'always-on profiler: timing, context, fingerprint, per-shape HDR histogram, sampled call sites',
              before: () => {
                instrument(orm);
                return settle();
              },
              after: () => uninstrument(orm),
              run: async (slice) => {
                const global = startProfiling({ slowQueryMs: Number.POSITIVE_INFINITY });
                try {
                  await findMany(slice);
                  global.fingerprints();
                  captured = global.totals().queries;
                } finally {
                  global.stop();
                }
              },
              verify: () => {
                if (captured !== perSlice) {
                  throw new Error(`the profiler captured ${captured} queries, expected ${perSlice}`);
                }
              },
            },
          ],
          REPS,
          undefined,
          { log, slices: SLICES, collectGarbage: false },
        );
        // The scope in a run of its own: it captures a stack per query, and sharing the hooks' optimized
        // code with it would measure the always-on profiler in a state no production process is in.
        log(`${database.db}: plain, profiled-scope (${calls} findOne by primary key each)`);
        const [plainForScope, profiledScope] = await interleave(
          [
            { db: database.db, label: 'plain-scope-run', rows: calls, before: settle, run: findMany },
            {
              db: database.db,
              label: 'profiled-scope',
              rows: calls,
              note: 'profile() scope: every query kept with its call stack, then the report and the N+1 detector',
              before: () => {
                instrument(orm);
                return settle();
              },
              after: () => uninstrument(orm),
              run: async (slice) => {
                const report = await profile(() => findMany(slice));
                report.byFingerprint();
                report.nPlusOne();
                scoped = report.count;
              },
              verify: () => {
                if (scoped !== perSlice) {
                  throw new Error(`the profile scope captured ${scoped} queries, expected ${perSlice}`);
                }
              },
            },
          ],
          SCOPE_REPS,
          undefined,
          { log, slices: SLICES, collectGarbage: false },
        );
        results.push(
          plain as BenchResult,
          twin as BenchResult,
          profiled as BenchResult,
          plainForScope as BenchResult,
          profiledScope as BenchResult,
        );
        // time over time, repetition by repetition: 1.05 means the profiled calls took 5% longer
        const over = (result: BenchResult | undefined) => pairedTimeRatio(result as BenchResult, plain as BenchResult);
        const overBySlice = (result: BenchResult | undefined) =>
          pairedSliceTimeRatio(result as BenchResult, plain as BenchResult);
        ratios[`${database.db}:plain-twin/plain`] = overBySlice(twin);
        ratios[`${database.db}:profiled/plain`] = overBySlice(profiled);
        ratios[`${database.db}:plain-twin/plain:by-repetition`] = over(twin);
        ratios[`${database.db}:profiled/plain:by-repetition`] = over(profiled);
        ratios[`${database.db}:profiled-scope/plain`] = pairedTimeRatio(
          profiledScope as BenchResult,
          plainForScope as BenchResult,
        );
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
        `${calls} findOne calls per repetition, each by primary key with refresh: true (always a query), in ${SLICES} slices of ${perSlice} taking turns with the other contenders`,
        'ratios: the median over repetitions of profiled time over plain time in the same repetition',
        `@Timed overhead per async call: ${round(timed.timedOverheadNs, 1)} ns (target ≤ 1000 ns)`,
      ],
    };
  });
}
