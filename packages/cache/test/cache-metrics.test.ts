import { collectMetrics } from '@stratum/core';
import { expect, it } from 'vitest';
import { Cache, MemoryStore, registerCacheMetrics } from '../src/index.js';

it('puts the cache counters in the metrics snapshot the profiler exports, until removed', async () => {
  const cache = new Cache({ store: new MemoryStore(), namespace: 'metrics' });
  const off = registerCacheMetrics(cache);
  await cache.wrap('track:1', async () => 1);
  await cache.wrap('track:1', async () => 1);
  expect(collectMetrics()['cache.metrics']).toMatchObject({ hits: 1, misses: 1, hitRatio: 0.5, loads: 1, errors: 0 });
  off();
  expect(collectMetrics()['cache.metrics']).toBeUndefined();
});

it('shows the cache counters in the Prometheus export of @stratum/profiler', async () => {
  const promClient = await import('prom-client');
  const { startProfiling } = await import('@stratum/profiler');
  const { registerPrometheusMetrics } = await import('@stratum/profiler/prometheus');
  const cache = new Cache({ store: new MemoryStore(), namespace: 'prom' });
  const off = registerCacheMetrics(cache);
  const profiler = startProfiling();
  try {
    await cache.wrap('track:1', async () => 1);
    await cache.wrap('track:1', async () => 1);
    const registry = new promClient.Registry();
    registerPrometheusMetrics(promClient, registry, profiler);
    const text = await registry.metrics();
    expect(text).toMatch(/stratum_metric\{name="cache.prom",key="hitRatio"\} 0.5/);
    expect(text).toMatch(/stratum_metric\{name="cache.prom",key="hits"\} 1/);
  } finally {
    profiler.stop();
    off();
  }
});
