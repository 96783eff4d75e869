import { collectMetrics, type MetricValue } from '@stratum/core';
import type { GlobalProfiler } from '../scope/global-profiler.js';

/** The JSON a `/metrics` endpoint serves: database figures, slow queries, pools and registered metrics. */
export interface MetricsSnapshot {
  readonly takenAt: string;
  readonly queries: {
    readonly count: number;
    readonly errors: number;
    readonly meanMs: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
  };
  readonly slowQueries: readonly {
    readonly sql: string;
    readonly durationMs: number;
    readonly callSite: string | undefined;
    readonly sequentialScans: readonly string[];
  }[];
  /** Top query shapes by total time. */
  readonly topQueries: readonly {
    readonly normalized: string;
    readonly count: number;
    readonly totalMs: number;
    readonly p95Ms: number;
  }[];
  /** Connection pools, by name, for the pools given. */
  readonly pools: Readonly<Record<string, PoolStats>>;
  /** What other packages registered with `registerMetric` (e.g. `cache.hitRatio`). */
  readonly metrics: Readonly<Record<string, MetricValue | { error: string }>>;
}

/** Connections of a pool: open in all, idle, and requests waiting for one. */
export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/**
 * A JSON snapshot of the always-on profiler, for a `/metrics` endpoint or a log line.
 *
 * @example
 * ```ts
 * const profiler = startProfiling({ slowQueryMs: 100 });
 * app.get('/metrics', async () => metricsSnapshot(profiler, { pools: { primary: await poolStats(orm) } }));
 * ```
 */
export function metricsSnapshot(
  profiler: GlobalProfiler,
  options: { pools?: Record<string, PoolStats>; top?: number } = {},
): MetricsSnapshot {
  const totals = profiler.totals();
  return {
    takenAt: new Date().toISOString(),
    queries: {
      count: totals.queries,
      errors: totals.errors,
      meanMs: totals.latency.meanMs,
      p50Ms: totals.latency.p50Ms,
      p95Ms: totals.latency.p95Ms,
      p99Ms: totals.latency.p99Ms,
      maxMs: totals.latency.maxMs,
    },
    slowQueries: profiler.slowQueries().map(({ event, plan }) => ({
      sql: event.sql,
      durationMs: event.durationMs,
      callSite: event.stack?.callSite,
      sequentialScans: plan?.sequentialScans.map((scan) => scan.table) ?? [],
    })),
    topQueries: profiler
      .fingerprints()
      .slice(0, options.top ?? 10)
      .map((shape) => ({
        normalized: shape.normalized,
        count: shape.latency.count,
        totalMs: shape.latency.totalMs,
        p95Ms: shape.latency.p95Ms,
      })),
    pools: options.pools ?? {},
    metrics: collectMetrics(),
  };
}

/**
 * The pool figures of a MikroORM connection on PostgreSQL (`pg.Pool`); `undefined` where the driver
 * has no pool (SQLite's single connection).
 *
 * @example
 * ```ts
 * await poolStats(orm); // { total: 3, idle: 2, waiting: 0 }
 * ```
 */
export async function poolStats(orm: {
  em: { getConnection(type?: 'read' | 'write'): { getNativeClient?(): Promise<unknown> } };
}): Promise<PoolStats | undefined> {
  const native = (await orm.em
    .getConnection('write')
    .getNativeClient?.()
    .catch(() => undefined)) as { totalCount?: number; idleCount?: number; waitingCount?: number } | undefined;
  if (typeof native?.totalCount !== 'number') {
    return undefined;
  }
  return { total: native.totalCount, idle: native.idleCount ?? 0, waiting: native.waitingCount ?? 0 };
}
