// What the cache buys and costs, on Chinook data: a @Cached hit through the Redis store against a raw
// ioredis GET + msgpackr decode of the same value; memory-store hits (plain data and entities); an
// uncached PostgreSQL findOne by primary key on a fresh fork against the cached calls; and the hit
// ratio of a Zipf workload with writes, checked for stale reads. See docs/benchmarks.md.
import { MikroORM, wrap } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { Cache, Cached, decodeValue, encodeValue, MemoryStore, RedisStore, TieredStore } from '@stratum/cache';
import { BaseRepository } from '@stratum/core';
import { Redis } from 'ioredis';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { Track } from '../../../examples/chinook/src/entities/index.js';
import {
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  collectEnv,
  interleave,
  pairedSliceTimeRatio,
  round,
} from '../harness.js';
import { openPostgres } from '../support/chinook-fixture.js';

const REDIS_URL = process.env.STRATUM_REDIS_URL || 'redis://127.0.0.1:6379';
const REPS = 7;

/** The payload: one track with its album, artist, genre and media type, as plain data (~0.7 KB). */
type TrackPayload = Record<string, unknown>;

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { quick, log } = options;
  const postgres = await openPostgres(log);
  const namespace = `stratum_bench_${process.pid}`;
  const redis = new Redis(REDIS_URL, { lazyConnect: false });
  const redisStore = new RedisStore({ client: redis, namespace });
  const redisCache = new Cache({ store: redisStore, namespace: 'b', defaultTtlMs: 3_600_000 });
  const subscriber = new Redis(REDIS_URL);
  const tieredStore = new TieredStore({
    l1: new MemoryStore({ maxEntries: 20_000 }),
    l2: new RedisStore({ client: redis, namespace: `${namespace}-tiered` }),
    subscriber,
  });
  await tieredStore.ready();
  const tieredCache = new Cache({ store: tieredStore, namespace: 'b', defaultTtlMs: 3_600_000 });
  const memoryCache = new Cache({
    store: new MemoryStore({ maxEntries: 20_000 }),
    namespace: 'b',
    defaultTtlMs: 3_600_000,
  });
  const orm = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ clientUrl: postgres.url }) as never);
  try {
    const em0 = orm.em.fork();
    const track = await em0.findOneOrFail(Track, 1, { populate: ['album.artist', 'genre', 'mediaType'] });
    const payload = JSON.parse(JSON.stringify(wrap(track).toObject())) as TrackPayload;
    const payloadBytes = encodeValue(payload).length;

    /** A service and a repository as an app writes them. */
    class TrackService {
      @Cached({ key: 'payload:{id}', cache: redisCache })
      async redisPayload(id: number): Promise<TrackPayload> {
        return { ...payload, id };
      }

      @Cached({ key: 'payload:{id}', cache: memoryCache })
      async memoryPayload(id: number): Promise<TrackPayload> {
        return { ...payload, id };
      }

      @Cached({ key: 'payload:{id}', cache: tieredCache })
      async tieredPayload(id: number): Promise<TrackPayload> {
        return { ...payload, id };
      }
    }
    class CachedTracks extends BaseRepository<Track> {
      constructor(em: SqlEntityManager) {
        super(em, Track);
      }

      @Cached({ key: 'track:{id}', cache: redisCache })
      redisTrack(id: number): Promise<Track | null> {
        return this.findOne(id);
      }

      @Cached({ key: 'track:{id}', cache: memoryCache })
      memoryTrack(id: number): Promise<Track | null> {
        return this.findOne(id);
      }

      @Cached({ key: 'track:{id}', cache: tieredCache })
      tieredTrack(id: number): Promise<Track | null> {
        return this.findOne(id);
      }
    }
    const service = new TrackService();
    const rawKey = `${namespace}:raw:payload:1`;
    await redis.set(rawKey, encodeValue(payload));
    // Warm every cached path once (the first call is the miss).
    await service.redisPayload(1);
    await service.memoryPayload(1);
    await service.tieredPayload(1);
    await new CachedTracks(orm.em.fork()).redisTrack(1);
    await new CachedTracks(orm.em.fork()).memoryTrack(1);
    await new CachedTracks(orm.em.fork()).tieredTrack(1);

    const results: BenchResult[] = [];
    const ratios: Record<string, number> = {};
    const nsPerCall = (result: BenchResult, calls: number) => round((result.medianMs * 1e6) / calls, 0);

    // 1. Redis: a cached hit against the raw GET + decode of the same value, one call at a time. The
    // calls of a repetition run in slices, the two contenders taking turns, without a forced GC
    // between them, and the ratio is the median of the paired slice ratios: the loopback's round trip
    // on this VM changes speed with how busy the CPUs have just been (a forced GC before each
    // contender made the first ~50 ms after it fast), so whole-run medians compared a short run's
    // fast phase with a longer run's slow one. The same calls as whole runs after a forced GC each are
    // reported beside (`redis:cached/raw-whole-runs`). See docs/decisions.md.
    const redisCalls = quick ? 200 : 2000;
    const redisSlices = quick ? 4 : 20;
    const perSlice = redisCalls / redisSlices;
    log(
      `redis: raw GET + decode vs @Cached hit, ${redisCalls} calls one at a time in ${redisSlices} slices (${payloadBytes} B value)`,
    );
    const rawCall = async () => decodeValue((await redis.getBuffer(rawKey)) as Buffer);
    const cachedCall = () => service.redisPayload(1);
    const redisContenders = (calls: number) => [
      {
        db: 'redis',
        label: 'raw',
        rows: redisCalls,
        note: `ioredis getBuffer + msgpackr decode of the ${payloadBytes}-byte value`,
        run: async () => {
          for (let i = 0; i < calls; i++) await rawCall();
        },
      },
      {
        db: 'redis',
        label: 'cached',
        rows: redisCalls,
        note: '@Cached service method, RedisStore hit (entry, generation and epoch in one MGET, decoded)',
        run: async () => {
          for (let i = 0; i < calls; i++) await cachedCall();
        },
      },
    ];
    const [raw, cachedRedis] = await interleave(redisContenders(perSlice), REPS, undefined, {
      log,
      slices: redisSlices,
      collectGarbage: false,
    });
    const [rawWhole, cachedWhole] = await interleave(redisContenders(redisCalls), REPS, undefined, { log });
    results.push(
      raw as BenchResult,
      cachedRedis as BenchResult,
      { ...(rawWhole as BenchResult), label: 'raw-whole-runs', reference: true },
      { ...(cachedWhole as BenchResult), label: 'cached-whole-runs', reference: true },
    );
    ratios['redis:cached/raw'] = pairedSliceTimeRatio(cachedRedis as BenchResult, raw as BenchResult);
    ratios['redis:cached/raw-whole-runs'] = round(
      (cachedWhole as BenchResult).medianMs / (rawWhole as BenchResult).medianMs,
      3,
    );

    // 2. Memory store hits: plain data and entities (merged into the caller's EntityManager).
    const memoryCalls = quick ? 2000 : 50_000;
    const entityCalls = quick ? 500 : 10_000;
    log(`memory: @Cached hits, ${memoryCalls} plain-data calls, ${entityCalls} entity calls`);
    const em = orm.em.fork();
    const repo = new CachedTracks(em);
    const [memoryPlain, memoryEntity] = await interleave(
      [
        {
          db: 'memory',
          label: 'cached-plain',
          rows: memoryCalls,
          note: '@Cached service method returning plain data, MemoryStore hit (a private copy per read)',
          run: async () => {
            for (let i = 0; i < memoryCalls; i++) await service.memoryPayload(1);
          },
        },
        {
          db: 'memory',
          label: 'cached-entity',
          rows: entityCalls,
          note: "@Cached repository method returning a Track: MemoryStore hit merged into the caller's EntityManager",
          run: async () => {
            for (let i = 0; i < entityCalls; i++) await repo.memoryTrack(1);
          },
        },
      ],
      REPS,
      undefined,
      { log },
    );
    const plainNs = nsPerCall(memoryPlain as BenchResult, memoryCalls);
    const entityNs = nsPerCall(memoryEntity as BenchResult, entityCalls);
    results.push(
      { ...(memoryPlain as BenchResult), ...{ nsPerCall: plainNs } } as BenchResult,
      { ...(memoryEntity as BenchResult), ...{ nsPerCall: entityNs } } as BenchResult,
    );

    // 3. PostgreSQL: an uncached findOne on a fresh fork against each cached call of the same track:
    // as plain data (the ratio keys), and as an entity merged into a fresh fork (reported beside).
    const pgCalls = quick ? 200 : 2000;
    log(`postgresql: uncached findOne vs cached calls (Redis, two-tier, memory), ${pgCalls} calls each`);
    const loop = (call: () => Promise<unknown>) => async () => {
      for (let i = 0; i < pgCalls; i++) await call();
    };
    const pg = await interleave(
      [
        {
          db: 'postgresql',
          label: 'uncached',
          rows: pgCalls,
          note: 'orm.em.fork().findOne(Track, 1)',
          run: loop(() => orm.em.fork().findOne(Track, 1)),
        },
        {
          db: 'postgresql',
          label: 'cached-redis',
          rows: pgCalls,
          note: '@Cached method, plain data, RedisStore hit',
          run: loop(() => service.redisPayload(1)),
        },
        {
          db: 'postgresql',
          label: 'cached-tiered',
          rows: pgCalls,
          note: '@Cached method, plain data, TieredStore hit (L1, no round trip)',
          run: loop(() => service.tieredPayload(1)),
        },
        {
          db: 'postgresql',
          label: 'cached-memory',
          rows: pgCalls,
          note: '@Cached method, plain data, MemoryStore hit',
          run: loop(() => service.memoryPayload(1)),
        },
        {
          db: 'postgresql',
          label: 'cached-redis-entity',
          rows: pgCalls,
          note: '@Cached repository method, RedisStore hit merged into a fresh fork',
          run: loop(() => new CachedTracks(orm.em.fork()).redisTrack(1)),
        },
        {
          db: 'postgresql',
          label: 'cached-tiered-entity',
          rows: pgCalls,
          note: '@Cached repository method, TieredStore hit merged into a fresh fork',
          run: loop(() => new CachedTracks(orm.em.fork()).tieredTrack(1)),
        },
      ],
      REPS,
      undefined,
      { log },
    );
    results.push(...pg);
    const pgMs = (label: string) => (pg.find((r) => r.label === label) as BenchResult).medianMs;
    for (const label of [
      'cached-redis',
      'cached-tiered',
      'cached-memory',
      'cached-redis-entity',
      'cached-tiered-entity',
    ]) {
      ratios[`postgresql:uncached/${label}`] = round(pgMs('uncached') / pgMs(label), 2);
    }

    // 4. Hit ratio: 10k keys, Zipf s = 1.1, 95% reads / 5% writes, through the Redis store.
    const workload = await zipfWorkload(redisCache, quick ? 2000 : 20_000, quick ? 5000 : 50_000);
    log(`zipf: hit ratio ${workload.hitRatio.toFixed(3)}, ${workload.staleReads} stale reads`);
    ratios['zipf:hitRatio'] = round(workload.hitRatio, 3);
    results.push({
      db: 'redis',
      label: 'zipf-workload',
      rows: workload.ops,
      rowsPerSec: round((workload.ops * 1000) / workload.ms, 0),
      medianMs: round(workload.ms, 1),
      minMs: round(workload.ms, 1),
      maxMs: round(workload.ms, 1),
      reps: 1,
      samplesMs: [round(workload.ms, 1)],
      note: `10k keys, Zipf s=1.1, 95% reads / 5% writes; hit ratio ${workload.hitRatio.toFixed(3)} (target ≥ 0.85), stale reads ${workload.staleReads}`,
      ...{ hitRatio: round(workload.hitRatio, 4), staleReads: workload.staleReads },
    } as BenchResult);
    if (workload.staleReads > 0) {
      throw new Error(`the Zipf workload read ${workload.staleReads} stale values`);
    }

    return {
      name: 'cache',
      env: await collectEnv({ quick, postgresql: postgres.queryOne }),
      results,
      ratios,
      notes: [
        `payload: one Chinook track with album, artist, genre and media type, ${payloadBytes} bytes encoded`,
        `memory-store hit of a @Cached method returning plain data: ${plainNs} ns per call (target ≤ 2000 ns); returning an entity: ${entityNs} ns`,
        'redis:cached/raw is the median of paired slice time ratios (the contenders take turns every slice); redis:cached/raw-whole-runs the ratio of whole-run medians after a forced GC each; postgresql:uncached/* are time over time',
        `zipf: ${workload.warmup} warm-up operations, then ${workload.ops} measured; stale = a read older than the last write that returned`,
      ],
    };
  } finally {
    await orm.close(true);
    // The bench's own keys only, scanned (never KEYS).
    for await (const keys of redis.scanStream({ match: `${namespace}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
    await tieredStore.close();
    subscriber.disconnect();
    redis.disconnect();
    await postgres.close();
  }
}

/**
 * 10 000 keys read with Zipf(1.1) popularity, 95% reads through `cache.wrap` and 5% writes (a new
 * version in the source, then `cache.invalidate`), one at a time; every read is checked against the
 * source's version at the time the read started.
 */
async function zipfWorkload(cache: Cache, warmup: number, ops: number) {
  const keys = 10_000;
  const cdf = zipfCdf(keys, 1.1);
  const random = mulberry32(42);
  const versions = new Uint32Array(keys);
  let staleReads = 0;
  const step = async (count: boolean) => {
    const key = sample(cdf, random());
    if (random() < 0.05) {
      versions[key] = (versions[key] as number) + 1;
      await cache.invalidate({ keys: [`zipf:${key}`] });
      return;
    }
    const expected = versions[key] as number;
    const got = await cache.wrap(`zipf:${key}`, async () => versions[key] as number, { ttlMs: 3_600_000 });
    if (count && got < expected) staleReads++;
  };
  for (let i = 0; i < warmup; i++) await step(false);
  const before = cache.stats();
  const started = performance.now();
  for (let i = 0; i < ops; i++) await step(true);
  const ms = performance.now() - started;
  const after = cache.stats();
  const hits = after.hits - before.hits;
  const misses = after.misses - before.misses;
  return { ops, warmup, ms, hitRatio: hits / (hits + misses), staleReads };
}

function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += 1 / k ** s;
    cdf[k - 1] = total;
  }
  for (let k = 0; k < n; k++) cdf[k] = (cdf[k] as number) / total;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A small seeded PRNG: the workload is the same every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
