import { collectMetrics } from '@stratum/core';
import type { Registry } from 'prom-client';
import type { GlobalProfiler } from '../scope/global-profiler.js';

/** The prom-client module (passed in, so that prom-client stays an optional dependency). */
export interface PromClient {
  Gauge: typeof import('prom-client').Gauge;
}

/**
 * Exposes the always-on profiler to Prometheus: gauges read at scrape time (no work per query).
 *
 * - `stratum_db_queries_total`, `stratum_db_query_errors_total`
 * - `stratum_db_query_duration_seconds{quantile="0.5|0.95|0.99"}`
 * - `stratum_db_query_shape_calls_total{fingerprint,tables}` and `..._seconds_total` per query shape
 * - `stratum_metric{name,key}` for every `registerMetric` value
 *
 * @example
 * ```ts
 * import * as promClient from 'prom-client';
 * const registry = new promClient.Registry();
 * registerPrometheusMetrics(promClient, registry, startProfiling());
 * app.get('/metrics', async () => registry.metrics());
 * ```
 */
export function registerPrometheusMetrics(prom: PromClient, registry: Registry, profiler: GlobalProfiler): void {
  const registers = [registry];
  new prom.Gauge({
    name: 'stratum_db_queries_total',
    help: 'Database queries seen by the Stratum profiler',
    registers,
    collect() {
      this.set(profiler.totals().queries);
    },
  });
  new prom.Gauge({
    name: 'stratum_db_query_errors_total',
    help: 'Database queries that failed',
    registers,
    collect() {
      this.set(profiler.totals().errors);
    },
  });
  new prom.Gauge({
    name: 'stratum_db_query_duration_seconds',
    help: 'Database query latency quantiles (HDR histogram)',
    labelNames: ['quantile'],
    registers,
    collect() {
      const latency = profiler.totals().latency;
      this.set({ quantile: '0.5' }, latency.p50Ms / 1000);
      this.set({ quantile: '0.95' }, latency.p95Ms / 1000);
      this.set({ quantile: '0.99' }, latency.p99Ms / 1000);
    },
  });
  new prom.Gauge({
    name: 'stratum_db_query_shape_calls_total',
    help: 'Calls per query shape (fingerprint)',
    labelNames: ['fingerprint', 'tables'],
    registers,
    collect() {
      this.reset();
      for (const shape of profiler.fingerprints()) {
        this.set({ fingerprint: shape.fingerprint, tables: shape.tables.join(',') }, shape.latency.count);
      }
    },
  });
  new prom.Gauge({
    name: 'stratum_db_query_shape_seconds_total',
    help: 'Time spent per query shape (fingerprint)',
    labelNames: ['fingerprint', 'tables'],
    registers,
    collect() {
      this.reset();
      for (const shape of profiler.fingerprints()) {
        this.set({ fingerprint: shape.fingerprint, tables: shape.tables.join(',') }, shape.latency.totalMs / 1000);
      }
    },
  });
  new prom.Gauge({
    name: 'stratum_metric',
    help: 'Metrics other Stratum packages registered (registerMetric)',
    labelNames: ['name', 'key'],
    registers,
    collect() {
      this.reset();
      for (const [name, value] of Object.entries(collectMetrics())) {
        if (typeof value === 'number') {
          this.set({ name, key: '' }, value);
        } else if (!('error' in value)) {
          for (const [key, v] of Object.entries(value)) {
            this.set({ name, key }, v);
          }
        }
      }
    },
  });
}
