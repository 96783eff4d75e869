/** A value another package adds to the metrics snapshot: a number, or named numbers. */
export type MetricValue = number | Readonly<Record<string, number>>;

const collectors = new Map<string, () => MetricValue>();

/**
 * Adds a metric to every metrics snapshot of `@stratum/profiler` (`metricsSnapshot`, Prometheus);
 * the cache adds its hit ratio this way. The collector runs when a snapshot is taken; registering a
 * name again replaces it.
 *
 * @example
 * ```ts
 * const off = registerMetric('cache', () => ({ hits: stats.hits, misses: stats.misses, hitRatio: stats.hitRatio }));
 * metricsSnapshot(profiler).metrics.cache; // { hits: 90, misses: 10, hitRatio: 0.9 }
 * off();
 * ```
 */
export function registerMetric(name: string, collect: () => MetricValue): () => void {
  collectors.set(name, collect);
  return () => {
    if (collectors.get(name) === collect) {
      collectors.delete(name);
    }
  };
}

/** Every registered metric, collected now. A collector that throws reports its error, not a value. */
export function collectMetrics(): Record<string, MetricValue | { error: string }> {
  const out: Record<string, MetricValue | { error: string }> = {};
  for (const [name, collect] of collectors) {
    try {
      out[name] = collect();
    } catch (error) {
      out[name] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return out;
}
