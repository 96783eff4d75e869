import type { MikroORM } from '@mikro-orm/core';
import { registerMetric } from '@stratum/core';
import { inspectSqlite } from './inspect-sqlite.js';

/**
 * Adds the SQLite figures of an ORM to the metrics snapshot and the Prometheus export of
 * `@stratum/profiler` (`metricsSnapshot(profiler).metrics[name]`, `stratum_metric{name,key}`): WAL
 * bytes, checkpoints, busy waits, busy timeouts, page count and freelist. Returns the function that
 * removes them; while the ORM is closed the entry reports that as its error.
 *
 * @example
 * ```ts
 * registerSqliteMetrics(orm); // metricsSnapshot(profiler).metrics.sqlite.walBytes
 * ```
 */
export function registerSqliteMetrics(orm: MikroORM, name = 'sqlite'): () => void {
  return registerMetric(name, () => {
    const { walBytes, checkpoints, busyWaits, busyTimeouts, pageCount, freelistCount } = inspectSqlite(orm);
    return { walBytes, checkpoints, busyWaits, busyTimeouts, pageCount, freelistCount };
  });
}
