import type { MikroORM } from '@mikro-orm/core';
import { instrument, metricsSnapshot, profile, startProfiling, toWorkload } from '@stratum/profiler';
import { Album, Track } from '../entities/index.js';

/** docs/profiler.md, "Profile a block" and "Always on". */
export async function profiling(orm: MikroORM) {
  // #region doc
  instrument(orm); // once, after MikroORM.init()

  // Profile a block: every query it sends, timed, grouped by shape, N+1s found.
  const report = await profile(async () => {
    const em = orm.em.fork();
    const albums = await em.find(Album, {}, { limit: 10 });
    for (const album of albums) {
      await album.tracks.init(); // one query per album
    }
  });
  report.count; // 11
  const [nPlusOne] = report.nPlusOne(); // nPlusOne.relation === 'Album.tracks', with the fix in nPlusOne.suggestion
  const table = report.format(); // a table of query shapes: count, total, mean, p95, rows; then the N+1s

  // Always on, for a long-running app: bounded memory, slow queries planned with EXPLAIN.
  const profiler = startProfiling({ slowQueryMs: 100 });
  await orm.em.fork().getRepository(Track).findPage({ perPage: 20 });
  const snapshot = metricsSnapshot(profiler); // the JSON a /metrics endpoint serves
  const workload = toWorkload(profiler); // the index generator's input: every query, by shape
  profiler.stop();
  // #endregion doc
  return { report, nPlusOne, table, snapshot, workload };
}
