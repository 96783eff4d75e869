// Stratum's BaseRepository.insertMany at several chunk sizes (rows per statement), on SQLite and
// PostgreSQL, with the same rows as `bulk`. Tells whether the default (5000) suits each database;
// the `bulk` benchmark itself always uses the default. See docs/benchmarks.md.
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
import { bulkSizes } from './bulk.js';

/** More repetitions than `bulk`: neighbouring chunk sizes differ by less than this machine's noise. */
const REPS = 9;

/** SQLite caps a statement at 32766 parameters, 8191 rows of 4 columns: larger sizes are the same statement. */
const SQLITE_CHUNKS = [500, 1_000, 2_000, 5_000, 8_191];
const POSTGRES_CHUNKS = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

function chunkContender(database: BenchDatabase, rowCount: number, chunkSize: number | undefined): Contender {
  const label = chunkSize === undefined ? 'default' : `chunk-${chunkSize}`;
  return insertManyContender(database, rowCount, label, chunkSize === undefined ? {} : { chunkSize });
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const { rows } = bulkSizes(quick);
  return withBenchDatabases(log, async (sqlite, postgres) => {
    const env = await collectEnv({
      quick,
      sqlite: (q) => sqlite.queryOne(q),
      postgresql: (q) => postgres.queryOne(q),
    });
    const groups: [BenchDatabase, number[]][] = [
      [sqlite, SQLITE_CHUNKS],
      [postgres, POSTGRES_CHUNKS],
    ];
    const results: BenchResult[] = [];
    const pairs: [string, string][] = [];
    for (const [database, chunks] of groups) {
      const sizes = chunks.filter((c) => c <= rows || c === chunks[0]);
      const contenders = [
        chunkContender(database, rows, undefined),
        ...sizes.map((c) => chunkContender(database, rows, c)),
      ];
      pairs.push(...sizes.map((c): [string, string] => [`chunk-${c}`, 'default']));
      log(`${database.db}: ${contenders.map((c) => c.label).join(', ')}`);
      results.push(...(await interleave(contenders, REPS, () => database.reset(), { log })));
      await database.reset();
    }
    return {
      name: 'bulk-chunk-size',
      env,
      results,
      ratios: ratios(results, ['sqlite', 'postgresql'], [...new Map(pairs.map((p) => [p.join('/'), p])).values()]),
      notes: [`${rows} rows per repetition; 'default' is BaseRepository's defaultChunkSize (5000)`],
    };
  });
}
