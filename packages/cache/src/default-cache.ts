import { Cache } from './cache.js';
import { MemoryStore } from './store/memory-store.js';

let current: Cache | undefined;

/**
 * Sets the cache `@Cached` and `@InvalidatesCache` use when their options name none.
 *
 * @example
 * ```ts
 * configureCache(new Cache({ store: new RedisStore({ client: new Redis(url), namespace: 'app' }), namespace: 'app' }));
 * ```
 */
export function configureCache(cache: Cache): void {
  current = cache;
}

/**
 * The cache decorators use by default: the one {@link configureCache} set, else an in-memory cache
 * (the embedded default: a `MemoryStore` of 10 000 entries, namespace `stratum`), made on first use.
 *
 * @example
 * ```ts
 * defaultCache().stats().hitRatio;
 * ```
 */
export function defaultCache(): Cache {
  current ??= new Cache({ store: new MemoryStore(), namespace: 'stratum' });
  return current;
}
