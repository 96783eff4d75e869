import { InvalidArgumentError } from '@stratum/core';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { InvoiceLine, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { type GlobalProfiler, instrument, startProfiling } from '../src/index.js';

describeEachDriver('startProfiling (always on)', (ctx) => {
  // scale 10: 22 400 invoice lines, enough for a full scan to be worth flagging
  const chinook = useChinook(ctx, { scale: 10 });
  let profiler: GlobalProfiler | undefined;
  beforeAll(() => instrument(chinook.orm));
  afterEach(() => profiler?.stop());

  it('records every query of every scope-less request, with per-shape latency percentiles', async () => {
    profiler = startProfiling();
    const em = chinook.em();
    for (let id = 1; id <= 30; id++) await em.findOne(Track, id);
    await em.find(Track, { album: 1 });
    const totals = profiler.totals();
    expect(totals.queries).toBe(31);
    expect(totals.errors).toBe(0);
    const [byId] = profiler.fingerprints().filter((stats) => stats.latency.count === 30);
    expect(byId!.tables).toEqual(['track']);
    expect(byId!.latency.p50Ms).toBeGreaterThan(0);
    expect(byId!.latency.p99Ms).toBeGreaterThanOrEqual(byId!.latency.p50Ms);
    expect(byId!.rows).toBe(30);
  });

  it('lets several profilers run side by side, each stopping on its own', async () => {
    const first = startProfiling();
    profiler = startProfiling();
    const em = chinook.em();
    await em.findOne(Track, 1);
    await em.findOne(Track, 2);
    first.stop();
    first.stop(); // a second stop is harmless and stops no other profiler
    await em.findOne(Track, 3);
    expect(first.totals().queries).toBe(2);
    expect(profiler.totals().queries).toBe(3);
    expect(first.running).toBe(false);
    expect(profiler.running).toBe(true);
  });

  it('stays bounded: a ring of recent queries and a capped number of query shapes', async () => {
    profiler = startProfiling({ maxRecent: 5, maxFingerprints: 3, recentSampleRate: 1 });
    const em = chinook.em();
    const fields = ['name', 'composer', 'milliseconds', 'bytes', 'unitPrice'] as const;
    for (const field of fields) {
      await em.find(Track, { id: 1 }, { fields: [field] });
    }
    for (let id = 1; id <= 10; id++) await em.findOne(Track, { id, name: { $ne: 'x' } });
    expect(profiler.recent()).toHaveLength(5);
    expect(profiler.recent().map((event) => event.params[0])).toEqual([6, 7, 8, 9, 10]);
    expect(profiler.fingerprints()).toHaveLength(3);
    expect(profiler.totals().queries).toBe(15);
  });

  it('counts every query, and keeps one in recentSampleRate whole, at random, in the ring', async () => {
    profiler = startProfiling({ recentSampleRate: 8, maxRecent: 1000 });
    const em = chinook.em();
    for (let id = 1; id <= 400; id++) await em.findOne(Track, id);
    expect(profiler.totals().queries).toBe(400);
    const [byId] = profiler.fingerprints();
    expect(byId!.latency.count).toBe(400);
    expect(byId!.rows).toBe(400);
    const recent = profiler.recent();
    // one in 8 on average (50; below 16 or above 119 once in millions of runs), plus any query whose
    // call stack was sampled (one in 1024 of a SQL text's): far from all 400
    expect(recent.length).toBeGreaterThan(15);
    expect(recent.length).toBeLessThan(120);
    const ids = recent.map((event) => event.params[0] as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // each kept whole: the event a scope would get
    for (const event of recent) {
      expect(event).toMatchObject({ kind: 'select', rows: 1, failed: false, dialect: ctx.driver });
      expect(event.connection.type).toBe('write');
      expect(event.durationMs).toBeGreaterThan(0);
    }
  });

  it('keeps every slow query whole, sampled or not, and the first query of each shape as its example', async () => {
    profiler = startProfiling({
      slowQueryMs: 0,
      explainSlowQueries: false,
      maxSlowQueries: 100,
      recentSampleRate: 1e9,
    });
    const em = chinook.em();
    for (let id = 11; id <= 40; id++) await em.findOne(Track, id);
    expect(profiler.slowQueries().map((slow) => slow.event.params[0])).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 11),
    );
    // not sampled: at most the one query of 30 whose call stack was (one in 1024 of a SQL text's)
    expect(profiler.recent().length).toBeLessThanOrEqual(1);
    const [byId] = profiler.fingerprints();
    expect(byId).toMatchObject({ kind: 'select', dialect: ctx.driver, example: { params: [11, 1] } });
    expect(byId!.example.sql).toMatch(/from [`"]track[`"]/);
  });

  it('counts failed queries without keeping them whole', async () => {
    profiler = startProfiling({ recentSampleRate: 1e9 });
    const em = chinook.em();
    await em.findOne(Track, 1);
    await em.findOne(Track, 2);
    await expect(em.execute('select * from no_such_table where id = 1')).rejects.toThrow();
    await expect(em.execute('select * from no_such_table where id = 1')).rejects.toThrow();
    expect(profiler.totals()).toMatchObject({ queries: 4, errors: 2 });
    const failing = profiler.fingerprints().find((stats) => stats.tables.includes('no_such_table'));
    expect(failing).toMatchObject({ errors: 2, latency: { count: 2 } });
  });

  it('forgets every shape on reset: a SQL text seen before counts from nothing', async () => {
    profiler = startProfiling();
    const em = chinook.em();
    for (let id = 1; id <= 5; id++) await em.findOne(Track, id);
    profiler.reset();
    expect(profiler.fingerprints()).toEqual([]);
    await em.findOne(Track, 6);
    expect(profiler.fingerprints().map((stats) => [stats.latency.count, stats.example.params[0]])).toEqual([[1, 6]]);
    expect(profiler.totals().queries).toBe(1);
  });

  it('groups SQL texts of one shape together, and counts a shape dropped past the cap afresh when it comes back', async () => {
    profiler = startProfiling({ maxFingerprints: 2 });
    const em = chinook.em();
    // `in (?, ?)` and `in (?, ?, ?)`: two SQL texts, one shape
    await em.find(Track, { id: { $in: [1, 2] } });
    await em.find(Track, { id: { $in: [1, 2, 3] } });
    const [inList] = profiler.fingerprints();
    expect(profiler.fingerprints()).toHaveLength(1);
    expect(inList!.latency.count).toBe(2);
    expect(inList!.rows).toBe(5);
    // a second and a third shape: the in-list shape, seen least recently, is dropped
    await em.findOne(Track, { name: 'Balls to the Wall' });
    await em.find(Track, { album: 1 }, { fields: ['name'] });
    expect(profiler.fingerprints().map((stats) => stats.latency.count)).toEqual([1, 1]);
    expect(profiler.fingerprints().some((stats) => stats.normalized.includes('in (?+)'))).toBe(false);
    // it comes back as a new shape, counted from its return on
    await em.find(Track, { id: { $in: [4, 5] } });
    await em.find(Track, { id: { $in: [4, 5, 6, 7] } });
    const back = profiler.fingerprints().find((stats) => stats.normalized.includes('in (?+)'));
    expect(back?.latency.count).toBe(2);
    expect(back?.rows).toBe(6);
    expect(profiler.fingerprints()).toHaveLength(2);
    expect(profiler.totals().queries).toBe(6);
  });

  it('logs slow queries with their plan and flags a sequential scan of a large table', async () => {
    profiler = startProfiling({ slowQueryMs: 0, largeTableRows: 10_000 });
    await chinook.em().find(InvoiceLine, { quantity: { $gt: 5 } });
    const [slow] = profiler.slowQueries();
    await slow!.planned;
    expect(slow!.planError).toBeUndefined();
    expect(slow!.plan!.dialect).toBe(ctx.driver);
    expect(slow!.plan!.sequentialScans).toEqual([{ table: 'invoice_line', tableRows: expect.any(Number) }]);
    expect(slow!.plan!.sequentialScans[0]!.tableRows).toBeGreaterThanOrEqual(22_000);
    // the plans of queries that use an index carry no flag
    profiler.reset();
    await chinook.em().findOne(InvoiceLine, 5);
    const [byKey] = profiler.slowQueries();
    await byKey!.planned;
    expect(byKey!.plan!.sequentialScans).toEqual([]);
    expect(byKey!.plan!.text.length).toBeGreaterThan(0);
  });

  it('does not capture its own EXPLAIN queries, and stops recording when stopped', async () => {
    profiler = startProfiling({ slowQueryMs: 0 });
    await chinook.em().findOne(Track, 1);
    await profiler.slowQueries()[0]!.planned;
    expect(profiler.totals().queries).toBe(1);
    profiler.stop();
    await chinook.em().findOne(Track, 2);
    expect(profiler.totals().queries).toBe(1);
    expect(profiler.running).toBe(false);
  });

  it('rejects a non-positive bound with a typed error', () => {
    expect(() => startProfiling({ maxRecent: 0 })).toThrow(InvalidArgumentError);
  });
});
