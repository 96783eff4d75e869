import type { MikroORM } from '@mikro-orm/core';
import { Cache, cacheOf, enableCache, RedisStore } from '@stratum/cache';
import { Redis } from 'ioredis';
import { Track } from '../entities/index.js';

/** docs/cache.md, "Set up: Redis". `url` and `prefix` are where the app's Redis and keys are. */
export async function redisCache(orm: MikroORM, url: string, prefix: string) {
  // #region doc
  const client = new Redis(url); // ioredis 6; the store never closes a client it does not own
  const cache = new Cache({
    store: new RedisStore({ client, namespace: `${prefix}cache` }),
    namespace: 'chinook',
    defaultTtlMs: 60_000,
    onError: (error, operation) => console.warn(`cache ${operation} failed`, error), // the call still succeeds
  });
  enableCache(orm, { cache, invalidateOnWrite: [Track] }); // once, after MikroORM.init()

  const first = await orm.em.fork().getRepository(Track).findCached(1); // a miss: one query, stored in Redis
  const hit = await orm.em.fork().getRepository(Track).findCached(1); // a hit: one MGET, no query
  const { hits, misses } = cacheOf(orm).stats(); // 1 hit, 1 miss

  await cache.store.close(); // at shutdown, with orm.close()
  client.disconnect();
  // #endregion doc
  return { first, hit, hits, misses };
}
