// What @Batched buys: 100 concurrent single-key calls as ONE query, against the same 100 calls made
// unbatched (the batch method with one key each: the same query shape), on SQLite and PostgreSQL, for
// two workloads: by primary key (TrackRepository.findById → findManyByIds, one row per key: the issue's
// `findByIsrc` shape) and by composer (findByComposer → findManyByComposer, 100 composers spread over
// the 853 of Chinook, 268 tracks in all). Throughput is calls per second; each round of 100 calls runs on a fresh EntityManager
// fork (a new request: a new repository, an empty identity map). The run verifies, through the
// profiler, that a batched round sends exactly 1 query and an unbatched one 100, and that every call
// got exactly its composer's tracks.
import { instrument, profile, uninstrument } from '@stratum/profiler';
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
import { type BenchDatabase, withBenchDatabases } from '../support/chinook-fixture.js';

const REPS = 15;
const CALLS = 100;
/** Each repetition's rounds run in slices, the contenders taking turns (see `interleave`'s `slices`). */
const SLICES = 5;
/**
 * Untimed rounds of a contender before each of its slices (one with `--quick`). Without them a slice
 * starts by paying for what the contender before it left: the first rounds after the 100-query
 * unbatched slice ran ~20% slower in a one-process test (1710 against 1406 µs a batched round),
 * a fixed cost that weighs on the short batched slices five times as much as on the unbatched ones.
 */
const SETTLE_ROUNDS = 2;

/** The tracks (ids, ascending) of every composer, read with plain SQL (not through the code under test). */
async function tracksByComposer(database: BenchDatabase): Promise<Map<string, number[]>> {
  const rows = await database.orm.em
    .fork()
    .execute<{ id: number; composer: string }[]>(
      'select id, composer from track where composer is not null order by id',
    );
  const byComposer = new Map<string, number[]>();
  for (const { id, composer } of rows) {
    const ids = byComposer.get(composer) ?? [];
    ids.push(Number(id));
    byComposer.set(composer, ids);
  }
  return byComposer;
}

/** `CALLS` composers spread evenly over all of them, sorted by code unit (the same on every database). */
function pickComposers(all: Iterable<string>): string[] {
  const sorted = [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Array.from({ length: CALLS }, (_, i) => sorted[Math.floor((i * sorted.length) / CALLS)] as string);
}

/** Throws unless each call got exactly the tracks of its composer, in id order. */
function assertTracks(label: string, composers: readonly string[], got: Track[][], expected: Map<string, number[]>) {
  composers.forEach((composer, i) => {
    const ids = (got[i] ?? []).map((track) => track.id);
    const want = expected.get(composer) ?? [];
    if (ids.length === 0 || JSON.stringify(ids) !== JSON.stringify(want)) {
      throw new Error(`${label}: ${JSON.stringify(composer)} gave tracks ${ids.join(',')}, expected ${want.join(',')}`);
    }
  });
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const rounds = quick ? 5 : 50;
  const calls = rounds * CALLS;
  const settleRounds = quick ? 1 : SETTLE_ROUNDS;
  /** The `before` of a contender: `settleRounds` untimed rounds of its own. */
  const settle = (once: () => Promise<unknown>) => async () => {
    for (let i = 0; i < settleRounds; i++) {
      await once();
    }
  };
  return withBenchDatabases(log, async (sqlite, postgres) => {
    const results: BenchResult[] = [];
    const ratios: Record<string, number> = {};
    const notes: string[] = [];
    for (const database of [sqlite, postgres] as BenchDatabase[]) {
      const { orm, db } = database;
      const expected = await tracksByComposer(database);
      const composers = pickComposers(expected.keys());
      const tracks = composers.reduce((sum, composer) => sum + (expected.get(composer)?.length ?? 0), 0);
      // Connect before timing (a first connection sends its own setup statements).
      await orm.em.fork().findOne(Track, 1);

      const ids = Array.from({ length: CALLS }, (_, i) => ((i * 35) % 3503) + 1);
      const byIdBatched = () => {
        const repository = orm.em.fork().getRepository(Track);
        return Promise.all(ids.map((id) => repository.findById(id)));
      };
      const byIdUnbatched = () => {
        const repository = orm.em.fork().getRepository(Track);
        return Promise.all(ids.map(async (id) => (await repository.findManyByIds([id]))[0] ?? null));
      };
      // The floor: the same 100 rows in one hand-written query, no decorator, no per-call promises.
      const oneQuery = async () => {
        const em = orm.em.fork();
        const found = await em.find(Track, { id: { $in: ids } });
        const byId = new Map(found.map((track) => [track.id, track]));
        return ids.map((id) => byId.get(id) ?? null);
      };
      const verifyById = (label: string, once: () => Promise<(Track | null)[]>, queries: number) => async () => {
        instrument(orm);
        try {
          const report = await profile(once);
          if (report.count !== queries) {
            throw new Error(`${db} ${label}: ${CALLS} calls sent ${report.count} queries, expected ${queries}`);
          }
          const got = report.result.map((track) => track?.id);
          if (JSON.stringify(got) !== JSON.stringify(ids)) {
            throw new Error(`${db} ${label}: got tracks ${got.join(',')}, expected ${ids.join(',')}`);
          }
        } finally {
          uninstrument(orm);
        }
      };
      const repeatById = (once: () => Promise<(Track | null)[]>) => async () => {
        for (let i = 0; i < rounds / SLICES; i++) {
          await once();
        }
      };
      log(`${db}: by primary key, batched vs unbatched, ${rounds} rounds of ${CALLS} concurrent findById calls`);
      const [byId, byIdPlain, byIdFloor] = await interleave(
        [
          {
            db,
            label: 'batched',
            rows: calls,
            note: `@Batched findById → findManyByIds (matched by id): ${CALLS} concurrent calls → 1 query`,
            before: settle(byIdBatched),
            run: repeatById(byIdBatched),
            verify: verifyById('batched', byIdBatched, 1),
          },
          {
            db,
            label: 'unbatched',
            rows: calls,
            note: `findManyByIds([id]) per call: ${CALLS} concurrent calls → ${CALLS} queries`,
            before: settle(byIdUnbatched),
            run: repeatById(byIdUnbatched),
            verify: verifyById('unbatched', byIdUnbatched, CALLS),
          },
          {
            db,
            label: 'one-query',
            rows: calls,
            note: `reference: em.find(Track, { id: { $in: ids } }) once for the ${CALLS} ids, matched back by id`,
            before: settle(oneQuery),
            run: repeatById(oneQuery),
            verify: verifyById('one-query', oneQuery, 1),
          },
        ],
        REPS,
        undefined,
        // Slices: each side runs within milliseconds of the other. No forced GC: after one, V8 starts
        // over with a small young generation and the next calls run up to twice as slow (see harness.ts).
        { log, slices: SLICES, collectGarbage: false },
      );
      results.push(byId as BenchResult, byIdPlain as BenchResult, byIdFloor as BenchResult);
      // throughput over throughput = unbatched time over batched time, slice by slice (the median of the
      // 75 slice pairs; by repetition too, as in the profiler benchmark: decisions.md)
      ratios[`${db}:batched/unbatched`] = pairedSliceTimeRatio(byIdPlain as BenchResult, byId as BenchResult);
      ratios[`${db}:one-query/unbatched`] = pairedSliceTimeRatio(byIdPlain as BenchResult, byIdFloor as BenchResult);
      ratios[`${db}:batched/unbatched:by-repetition`] = pairedTimeRatio(byIdPlain as BenchResult, byId as BenchResult);

      const batchedRound = () => {
        const repository = orm.em.fork().getRepository(Track);
        return Promise.all(composers.map((composer) => repository.findByComposer(composer)));
      };
      const unbatchedRound = () => {
        const repository = orm.em.fork().getRepository(Track);
        return Promise.all(composers.map((composer) => repository.findManyByComposer([composer])));
      };
      const repeat = (once: () => Promise<Track[][]>) => async () => {
        for (let i = 0; i < rounds / SLICES; i++) {
          await once();
        }
      };
      /** One round under the profiler: the right tracks, and exactly `queries` queries. */
      const verify = (label: string, once: () => Promise<Track[][]>, queries: number) => async () => {
        instrument(orm);
        try {
          const report = await profile(once);
          if (report.count !== queries) {
            throw new Error(`${db} ${label}: ${CALLS} calls sent ${report.count} queries, expected ${queries}`);
          }
          assertTracks(`${db} ${label}`, composers, report.result, expected);
        } finally {
          uninstrument(orm);
        }
      };

      log(`${db}: batched vs unbatched, ${rounds} rounds of ${CALLS} concurrent findByComposer calls`);
      const [batched, unbatched] = await interleave(
        [
          {
            db,
            label: 'batched-composer',
            rows: calls,
            note: `@Batched findByComposer: ${CALLS} concurrent calls → 1 query (${tracks} tracks)`,
            before: settle(batchedRound),
            run: repeat(batchedRound),
            verify: verify('batched', batchedRound, 1),
          },
          {
            db,
            label: 'unbatched-composer',
            rows: calls,
            note: `findManyByComposer([composer]) per call: ${CALLS} concurrent calls → ${CALLS} queries`,
            before: settle(unbatchedRound),
            run: repeat(unbatchedRound),
            verify: verify('unbatched', unbatchedRound, CALLS),
          },
        ],
        REPS,
        undefined,
        // Slices: each side runs within milliseconds of the other. No forced GC: after one, V8 starts
        // over with a small young generation and the next calls run up to twice as slow (see harness.ts).
        { log, slices: SLICES, collectGarbage: false },
      );
      results.push(batched as BenchResult, unbatched as BenchResult);
      ratios[`${db}:batched-composer/unbatched-composer`] = pairedSliceTimeRatio(
        unbatched as BenchResult,
        batched as BenchResult,
      );
      notes.push(`${db}: ${CALLS} composers, ${tracks} tracks per round; verified 1 vs ${CALLS} queries per round`);
    }
    // The headline figure: by primary key, the lower of the two databases.
    ratios['batched/unbatched'] = round(
      Math.min(ratios['sqlite:batched/unbatched'] as number, ratios['postgresql:batched/unbatched'] as number),
      3,
    );
    return {
      name: 'batched',
      env: await collectEnv({ quick, sqlite: sqlite.queryOne, postgresql: postgres.queryOne }),
      results,
      ratios,
      notes: [
        `${rounds} rounds of ${CALLS} concurrent single-key calls per repetition (${SLICES} slices taking turns), each round on a fresh EntityManager fork; rows/s = calls/s`,
        "ratios: the median over the 75 slices of one side's time over the other's in the same slice of a repetition (…:by-repetition: over the 15 repetitions)",
        ...notes,
        'batched/unbatched = calls/s over calls/s by primary key, the lower of the two databases (target ≥ 5); the composer workload is reported beside it',
      ],
    };
  });
}
