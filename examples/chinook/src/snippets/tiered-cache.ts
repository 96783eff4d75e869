import type { MikroORM } from '@mikro-orm/core';
import { Cache, cacheOf, enableCache, MemoryStore, RedisStore, TieredStore } from '@stratum/cache';
import { Redis } from 'ioredis';
import { Track } from '../entities/index.js';

/** docs/cache.md, "Set up: two tiers". `url` and `prefix` are where the app's Redis and keys are. */
export async function tieredCache(orm: MikroORM, url: string, prefix: string) {
  // #region doc
  const client = new Redis(url);
  const subscriber = new Redis(url); // its own connection: it only listens for other processes' invalidations
  const store = new TieredStore({
    l1: new MemoryStore({ maxEntries: 10_000 }), // this process's copy: a hit costs no round trip
    l2: new RedisStore({ client, namespace: `${prefix}cache` }), // shared by every process
    subscriber,
  });
  await store.ready(); // subscribed: invalidations from other processes now reach L1
  enableCache(orm, { cache: new Cache({ store, namespace: 'chinook' }), invalidateOnWrite: [Track] });

  const first = await orm.em.fork().getRepository(Track).findCached(1); // a miss: one query, then L1 and Redis
  const hit = await orm.em.fork().getRepository(Track).findCached(1); // an L1 hit: no query, no round trip
  const { hits, misses } = cacheOf(orm).stats(); // 1 hit, 1 miss

  await store.close(); // at shutdown: unsubscribes
  subscriber.disconnect();
  client.disconnect();
  // #endregion doc
  return { first, hit, hits, misses };
}
