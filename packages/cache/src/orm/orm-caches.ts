import type { Configuration } from '@mikro-orm/core';
import type { Cache } from '../cache.js';
import { defaultCache } from '../default-cache.js';

const byOrm = new WeakMap<Configuration, Cache>();

/** Makes `cache` the one the decorated repositories of this MikroORM instance use (see `enableCache`). */
export function setOrmCache(config: Configuration, cache: Cache): void {
  byOrm.set(config, cache);
}

/**
 * The cache of a MikroORM instance (or of one of its EntityManagers): the one `enableCache(orm)` set,
 * else the process's default cache. Two ORMs of one process (two databases) get separate caches once
 * each is enabled, so an entry of one database is never served to the other.
 *
 * @example
 * ```ts
 * enableCache(orm);
 * cacheOf(orm).stats().hitRatio;
 * ```
 */
export function cacheOf(orm: { readonly config: Configuration }): Cache {
  return byOrm.get(orm.config) ?? defaultCache();
}
