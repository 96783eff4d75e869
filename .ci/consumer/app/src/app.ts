// A consumer app of the published @stratum/* packages: what `.ci/consumer/check.mjs` builds (in
// both decorator modes) and runs from a fresh project outside the workspace, every package
// installed from its packed tarball. It touches every package's main entry; it exits non-zero
// (an assertion fails) if any of it does not work as documented.
import 'reflect-metadata';
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { defineConfig } from '@mikro-orm/sqlite';
import { Cache, Cached, cacheOf, enableCache, MemoryStore, RedisStore } from '@stratum/cache';
import { BaseRepository, StratumError } from '@stratum/core';
import { Batched, loaders } from '@stratum/dataloader';
import { analyzeWorkload, parseSqlText } from '@stratum/indexer';
import { instrument, profile, Timed, timedMetrics } from '@stratum/profiler';
import { formatPragmas, inspectSqlite, sqliteTuning, sqliteTuningReport } from '@stratum/sqlite';
import { Redis } from 'ioredis';
import { Artist, ArtistSchema, Song, SongSchema } from './entities.js';

export class SongRepository extends BaseRepository<Song> {
  constructor(em: SqlEntityManager) {
    super(em, Song);
  }

  @Cached({ key: 'song:{id}', ttl: 60_000 })
  cachedTitle(id: number): Promise<string | undefined> {
    return this.findOne(id).then((song) => song?.title);
  }

  @Batched({ batch: 'byIds', key: 'id' })
  byId(_id: number): Promise<Song | null> {
    throw new Error('replaced by @Batched');
  }

  byIds(ids: readonly number[]): Promise<Song[]> {
    return this.find({ id: { $in: [...ids] } });
  }
}

class Reports {
  @Timed('reports.longest')
  async longest(repo: SongRepository): Promise<number> {
    const [row] = await repo.aggregate({ metrics: { longest: { max: 'seconds' } } });
    return Number(row?.longest);
  }
}

export async function main(): Promise<void> {
  // @stratum/sqlite: a tuned SQLite file (WAL, synchronous NORMAL, busy timeout, BEGIN IMMEDIATE).
  const dbName = join(tmpdir(), `stratum-consumer-${process.pid}.sqlite`);
  const orm = await MikroORM.init(defineConfig({ entities: [ArtistSchema, SongSchema], ...sqliteTuning({ dbName }) }));
  try {
    await orm.schema.create();
    instrument(orm); // the profiler sees every query of this ORM
    enableCache(orm);
    const em = orm.em.fork();
    const repo = new SongRepository(em);
    const [artistId] = await new BaseRepository(em, Artist).insertMany([{ name: 'AC/DC' }]);
    const ids = await repo.insertMany(
      Array.from({ length: 50 }, (_, i) => ({ title: `Song ${i}`, seconds: 100 + i, artist: artistId as number })),
    );
    assert.equal(ids.length, 50);

    // @stratum/core: pages, cursors, typed errors.
    const page = await repo.findPage({ orderBy: { id: 'asc' }, page: 1, perPage: 10 });
    assert.equal(page.items.length, 10);
    const error = await repo.findByCursor({ orderBy: { id: 'asc' }, first: 5, after: 'not a cursor' }).catch((e) => e);
    assert.ok(error instanceof StratumError, 'a forged cursor is a StratumError');

    // @stratum/profiler: a scope counts the queries; @Timed records the method.
    const report = await profile(() => new Reports().longest(new SongRepository(orm.em.fork())));
    assert.equal(report.result, 149);
    assert.equal(report.count, 1);
    assert.equal(timedMetrics()['reports.longest']?.calls, 1);

    // @stratum/dataloader: loaders and @Batched send one query for many keys.
    const batched = await profile(() => {
      const fork = orm.em.fork();
      const songs = new SongRepository(fork);
      return Promise.all([songs.byId(1), songs.byId(2), loaders(fork).entity(Artist).load(1)]);
    });
    assert.deepEqual(
      batched.result.map((row) => row?.id),
      [1, 2, 1],
    );
    assert.equal(batched.count, 2);

    // @stratum/cache: the ORM's cache (memory), a hit sends no query.
    assert.equal(await repo.cachedTitle(3), 'Song 2');
    const hit = await profile(() => new SongRepository(orm.em.fork()).cachedTitle(3));
    assert.equal(hit.result, 'Song 2');
    assert.equal(hit.count, 0);
    assert.equal(cacheOf(orm).stats().hits, 1);

    // @stratum/cache on Redis, when CI gives one.
    if (process.env.STRATUM_REDIS_URL) {
      const client = new Redis(process.env.STRATUM_REDIS_URL);
      const store = new RedisStore({ client, namespace: `consumer-${process.pid}` });
      const cache = new Cache({ store, namespace: 'app' });
      assert.equal(await cache.wrap('k', async () => 'loaded'), 'loaded');
      assert.equal(await cache.wrap('k', async () => 'again'), 'loaded');
      // clear() drops the entries but keeps their generations (so no old load can write back): remove
      // every key of this run, the way an app's teardown would.
      const keys = await client.keys(`consumer-${process.pid}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
    // @stratum/indexer: a SQL file's statement analysed by PostgreSQL's parser (libpg-query, WASM).
    const analysis = await analyzeWorkload(
      parseSqlText('-- calls: 3\nselect * from song where seconds > 100 order by title limit 5;'),
    );
    assert.equal(analysis.queries[0]?.calls, 3);
    assert.equal(analysis.unparsed.length, 0);

    const memory = new Cache({ store: new MemoryStore(), namespace: 'm' });
    assert.equal(await memory.wrap('k', () => 1), 1);
    await orm.connect();
    assert.match(formatPragmas(sqliteTuningReport(orm)!), /journal_mode=wal/);
    assert.deepEqual(inspectSqlite(orm).differences, []);
  } finally {
    await orm.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbName}${suffix}`, { force: true });
  }
  console.log('consumer app: every package works');
}

await main();
