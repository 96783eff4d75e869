import { registerMetric } from '@stratum/core';
import type { Cache } from './cache.js';

/**
 * Adds a cache's counters to the metrics snapshot and the Prometheus export of `@stratum/profiler`
 * (`metricsSnapshot(profiler).metrics[name]`, `stratum_metric{name,key}`): hits, misses, hit ratio,
 * stale served, errors, loads and load time. Returns the function that removes them.
 *
 * @example
 * ```ts
 * registerCacheMetrics(cache); // metricsSnapshot(profiler).metrics['cache.app'].hitRatio
 * ```
 */
export function registerCacheMetrics(cache: Cache, name = `cache.${cache.namespace}`): () => void {
  return registerMetric(name, () => {
    const { hits, misses, hitRatio, staleServed, errors, loads, loadMs, maxLoadMs } = cache.stats();
    return { hits, misses, hitRatio, staleServed, errors, loads, loadMs, maxLoadMs };
  });
}
