import type { MikroORM } from '@mikro-orm/core';
import { cacheOf, enableCache } from '@stratum/cache';
import { Track } from '../entities/index.js';

/** docs/cache.md, "Cache a repository method". */
export async function caching(orm: MikroORM) {
  // #region doc
  enableCache(orm, { invalidateOnWrite: [Track] }); // once, after MikroORM.init(): an in-memory cache of its own

  // TrackRepository.findCached is @Cached({ key: 'track:{id}', ttl: 60_000, tags: ['Track:{id}'] })
  const first = await orm.em.fork().getRepository(Track).findCached(1); // a miss: one query, then cached
  const em = orm.em.fork();
  const hit = await em.getRepository(Track).findCached(1); // a hit: no query, merged into `em`, not dirty
  await em.flush(); // sends nothing

  hit!.name = 'Renamed';
  await em.flush(); // one UPDATE; after the commit, the tag Track:1 is invalidated
  const fresh = await orm.em.fork().getRepository(Track).findCached(1); // a miss again: 'Renamed'

  const { hits, misses, hitRatio } = cacheOf(orm).stats(); // 1 hit, 2 misses
  // #endregion doc
  return { first, hit, fresh, hits, misses, hitRatio };
}
