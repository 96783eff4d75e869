// Where PostgreSQL's COPY path of BaseRepository.insertMany starts to beat its insert-statement path:
// the same rows inserted both ways (copyThreshold 1 against Infinity) at several row counts. Tells
// whether BaseRepository's defaultCopyThreshold (10 000) is right. See docs/benchmarks.md.
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  type Contender,
  collectEnv,
  interleave,
  ratios,
} from '../harness.js';
import { type BenchDatabase, insertManyContender, withBenchDatabases } from '../support/chinook-fixture.js';

/** Neighbouring sizes differ by less than this machine's noise: more repetitions than `bulk`. */
const REPS = 9;
const SIZES = [200, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000];
const QUICK_SIZES = [200, 2_000];

function pathContender(database: BenchDatabase, rowCount: number, path: 'copy' | 'insert'): Contender {
  const copyThreshold = path === 'copy' ? 1 : Number.POSITIVE_INFINITY;
  return insertManyContender(database, rowCount, `${path}-${rowCount}`, { copyThreshold });
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const sizes = quick ? QUICK_SIZES : SIZES;
  return withBenchDatabases(log, async (_sqlite, postgres) => {
    const env = await collectEnv({ quick, postgresql: (q) => postgres.queryOne(q) });
    const results: BenchResult[] = [];
    // One interleaved group per size: the two paths of a size run side by side in time.
    for (const size of sizes) {
      const contenders = [pathContender(postgres, size, 'insert'), pathContender(postgres, size, 'copy')];
      log(`postgresql: ${contenders.map((c) => c.label).join(', ')}`);
      results.push(...(await interleave(contenders, REPS, () => postgres.reset(), { log })));
      await postgres.reset();
    }
    return {
      name: 'bulk-copy-threshold',
      env,
      results,
      ratios: ratios(
        results,
        ['postgresql'],
        sizes.map((n): [string, string] => [`copy-${n}`, `insert-${n}`]),
      ),
      notes: [
        'copy-N: insertMany(rows, { copyThreshold: 1 }); insert-N: copyThreshold Infinity (unnest, 5000 rows per statement)',
        'ratio copy-N/insert-N is rows/s over rows/s: above 1 means COPY is faster at N rows',
      ],
    };
  });
}
