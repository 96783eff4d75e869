// Where the always-on profiler's cost per query goes: blocks of primary-key findOne calls on one
// ORM, alternating between no profiler, the hooks installed with nothing listening, the capture
// with a sink that does nothing, and the whole always-on profiler (startProfiling). Ratios are
// medians of block-by-block ratios over many short rounds: a finer, steadier view than
// `pnpm bench profiler`, for finding what to cut, not for its target. See docs/benchmarks.md.
import { addGlobalQuerySink, instrument, startProfiling, uninstrument } from '@stratum/profiler';
import { Track } from '../../../examples/chinook/src/entities/index.js';
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  type Contender,
  collectEnv,
  interleave,
  pairedTimeRatio,
  round,
} from '../harness.js';
import { openOrm, withBenchDatabases } from '../support/chinook-fixture.js';

const TRACKS = 3503;

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const calls = quick ? 100 : 1000;
  const rounds = quick ? 5 : 40;
  return withBenchDatabases(log, async (sqlite, postgres) => {
    const results: BenchResult[] = [];
    const ratios: Record<string, number> = {};
    const notes: string[] = [];
    for (const database of [sqlite, postgres]) {
      const { db } = database;
      const orm = await openOrm(database);
      try {
        await orm.em.fork().findOne(Track, 1);
        const block = async () => {
          const em = orm.em.fork({ clear: true });
          for (let i = 0; i < calls; i++) {
            await em.findOne(Track, (i % TRACKS) + 1, { refresh: true });
          }
        };
        // Untimed, before every block, after any instrument(): MikroORM's optimized code saw other hooks
        // in the block before, and the first calls after a change re-settle it (a few ms: without this,
        // idle hooks read as several µs a query). A real app instruments once.
        const settle = async () => {
          const em = orm.em.fork({ clear: true });
          for (let i = 0; i < (quick ? 40 : 200); i++) {
            await em.findOne(Track, TRACKS - i, { refresh: true });
          }
        };
        /** A contender that instruments the ORM (and starts what `listen` starts) around its block. */
        const instrumented = (label: string, note: string, listen: () => () => void): Contender => {
          let stop: (() => void) | undefined;
          return {
            db,
            label,
            rows: calls,
            note,
            before: () => {
              instrument(orm);
              stop = listen();
              return settle();
            },
            run: block,
            after: () => {
              stop?.();
              uninstrument(orm);
            },
          };
        };
        log(`${db}: ${rounds} rounds of ${calls}-call blocks: plain, hooks-idle, capture, always-on`);
        const [plain, idle, capture, alwaysOn] = await interleave(
          [
            { db, label: 'plain', rows: calls, before: settle, run: block },
            instrumented('hooks-idle', 'instrument(orm), nothing listening', () => () => {}),
            instrumented('capture', 'instrument(orm) and a global sink that does nothing', () =>
              addGlobalQuerySink(() => {}),
            ),
            instrumented('always-on', 'instrument(orm) and startProfiling()', () => {
              const profiler = startProfiling({ slowQueryMs: Number.POSITIVE_INFINITY });
              return () => profiler.stop();
            }),
          ],
          rounds,
          undefined,
          { log: () => {}, collectGarbage: false },
        );
        const all = [plain, idle, capture, alwaysOn] as BenchResult[];
        results.push(...all);
        const plainUs = ((plain as BenchResult).medianMs * 1000) / calls;
        for (const result of all.slice(1)) {
          const value = pairedTimeRatio(result, plain as BenchResult);
          ratios[`${db}:${result.label}/plain`] = value;
          notes.push(`${db} ${result.label}: ${round((value - 1) * plainUs, 2)} µs per query over plain`);
        }
      } finally {
        await orm.close(true);
      }
    }
    return {
      name: 'profiler-ablation',
      env: await collectEnv({ quick, sqlite: sqlite.queryOne, postgresql: postgres.queryOne }),
      results,
      ratios,
      notes: [
        `${rounds} rounds of one ${calls}-call block per contender on one ORM, order alternating, no forced GC; ratios: median of per-round ratios`,
        ...notes,
      ],
    };
  });
}
