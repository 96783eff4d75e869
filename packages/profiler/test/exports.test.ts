import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { registerMetric } from '@stratum/core';
import * as promClient from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import {
  enableSqlCommenter,
  type GlobalProfiler,
  instrument,
  metricsSnapshot,
  poolStats,
  profile,
  startProfiling,
  toWorkload,
  withSqlComment,
  writeWorkload,
} from '../src/index.js';
import { recordOpenTelemetryMetrics } from '../src/opentelemetry.js';
import { registerPrometheusMetrics } from '../src/prometheus.js';

/** A metric reader that collects on demand, as a test needs (the SDK's own base class). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('withSqlComment (sqlcommenter spec)', () => {
  it('sorts keys, URL-encodes values, escapes quotes and keeps a trailing semicolon', () => {
    expect(withSqlComment('select 1', { route: '/albums/1', method: 'findPage' })).toBe(
      "select 1 /*method='findPage',route='%2Falbums%2F1'*/",
    );
    expect(withSqlComment('select 1;', { name: "O'Hara" })).toBe("select 1 /*name='O\\'Hara'*/;");
  });

  it('never comments twice and leaves a query without tags alone', () => {
    const once = withSqlComment('select 1', { a: 'b' });
    expect(withSqlComment(once, { a: 'b' })).toBe(once);
    expect(withSqlComment('select 1', { a: undefined })).toBe('select 1');
  });
});

describeEachDriver('profiler exports', (ctx) => {
  const chinook = useChinook(ctx);
  let profiler: GlobalProfiler | undefined;
  beforeAll(() => instrument(chinook.orm));
  afterEach(() => profiler?.stop());

  it('takes a JSON metrics snapshot with query figures, slow queries, pools and registered metrics', async () => {
    profiler = startProfiling({ slowQueryMs: 0 });
    const off = registerMetric('cache', () => ({ hits: 9, misses: 1, hitRatio: 0.9 }));
    try {
      for (let id = 1; id <= 5; id++) await chinook.em().findOne(Track, id);
      await Promise.all(profiler.slowQueries().map((slow) => slow.planned));
      const pool = await poolStats(chinook.orm);
      const snapshot = metricsSnapshot(profiler, pool ? { pools: { primary: pool } } : {});
      expect(snapshot.queries.count).toBe(5);
      expect(snapshot.queries.p95Ms).toBeGreaterThan(0);
      expect(snapshot.queries.meanMs).toBeGreaterThan(0);
      expect(snapshot.slowQueries).toHaveLength(5);
      expect(snapshot.topQueries[0]).toMatchObject({ count: 5 });
      expect(snapshot.metrics.cache).toEqual({ hits: 9, misses: 1, hitRatio: 0.9 });
      if (ctx.driver === 'postgresql') {
        expect(snapshot.pools.primary!.total).toBeGreaterThanOrEqual(1);
      } else {
        expect(pool).toBeUndefined();
      }
      expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    } finally {
      off();
    }
  });

  it('exposes the profiler to Prometheus through prom-client', async () => {
    profiler = startProfiling();
    const registry = new promClient.Registry();
    registerPrometheusMetrics(promClient, registry, profiler);
    for (let id = 1; id <= 3; id++) await chinook.em().findOne(Track, id);
    const text = await registry.metrics();
    expect(text).toContain('stratum_db_queries_total 3');
    expect(text).toMatch(/stratum_db_query_duration_seconds\{quantile="0.95"\} \d/);
    expect(text).toMatch(/stratum_db_query_shape_calls_total\{fingerprint="[0-9a-f]+",tables="track"\} 3/);
  });

  it('records query durations into an OpenTelemetry histogram', async () => {
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    const stop = recordOpenTelemetryMetrics(provider.getMeter('stratum-test'));
    try {
      await chinook.em().findOne(Track, 1);
      await chinook.em().find(Track, { album: 2 });
    } finally {
      stop();
    }
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics[0]!.metrics.find(
      (m) => m.descriptor.name === 'db.client.operation.duration',
    )!;
    const points = metric.dataPoints as { attributes: Record<string, unknown>; value: { count: number } }[];
    expect(points.reduce((sum, point) => sum + point.value.count, 0)).toBe(2);
    expect(points[0]!.attributes).toMatchObject({
      'db.system.name': ctx.driver,
      'db.operation.name': 'select',
      'db.collection.name': expect.stringMatching(/track/),
    });
    await provider.shutdown();
  });

  it('writes a workload file: one entry per query shape with calls, times, tables and an example', async () => {
    const report = await profile(async () => {
      for (let id = 1; id <= 4; id++) await chinook.em().findOne(Track, id);
      await chinook.em().find(Track, { album: 1 });
    });
    const dir = await mkdtemp(join(tmpdir(), 'stratum-workload-'));
    try {
      await writeWorkload(join(dir, 'workload.json'), toWorkload(report.statements));
      const workload = JSON.parse(await readFile(join(dir, 'workload.json'), 'utf8'));
      expect(workload).toMatchObject({ version: 1, dialect: ctx.driver });
      expect(workload.queries).toHaveLength(2);
      const byId = workload.queries.find((query: { calls: number }) => query.calls === 4);
      expect(byId).toMatchObject({ kind: 'select', tables: ['track'] });
      expect(byId.example.params).toContain(1);
      expect(byId.example.sql).toMatch(/from [`"]track[`"]/);
      expect(byId.meanMs).toBeCloseTo(byId.totalMs / 4, 10);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("builds the always-on profiler's workload from its counters: every query, though its ring keeps a sample", async () => {
    profiler = startProfiling({ recentSampleRate: 1e9 });
    for (let id = 1; id <= 40; id++) await chinook.em().findOne(Track, id);
    await chinook.em().find(Track, { album: 1 });
    const workload = toWorkload(profiler);
    expect(workload).toMatchObject({ version: 1, dialect: ctx.driver });
    expect(workload.queries.map((query) => query.calls).sort((a, b) => a - b)).toEqual([1, 40]);
    const byId = workload.queries.find((query) => query.calls === 40)!;
    expect(byId).toMatchObject({ kind: 'select', tables: ['track'], example: { params: [1, 1] } });
    expect(byId.meanMs).toBeCloseTo(byId.totalMs / 40, 10);
    expect(byId.totalMs).toBeGreaterThan(0);
    // the ring, at one in a billion, holds next to nothing: a workload counted from it would miss the calls
    expect(toWorkload(profiler.recent()).queries.reduce((sum, query) => sum + query.calls, 0)).toBeLessThan(5);
  });

  it('comments each Stratum query with its repository and method, without splitting fingerprints', async () => {
    enableSqlCommenter(chinook.orm, { traceparent: () => '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const report = await profile(() => chinook.em().getRepository(Track).findPage({ perPage: 2 }));
    for (const query of report.queries) {
      expect(query.sql).toMatch(
        /\/\*method='findPage',repository='TrackRepository',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'\*\/$/,
      );
    }
    const plain = await profile(() => chinook.em().find(Track, { id: 1 }));
    expect(plain.queries[0]!.sql).not.toContain('/*');
    expect(report.byFingerprint().every((shape) => !shape.normalized.includes('findPage'))).toBe(true);
  });
});
