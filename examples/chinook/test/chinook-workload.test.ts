// The Chinook workload (the index advisor's input): recorded through the profiler from real
// MikroORM calls on both databases, with the shapes and frequencies it declares; and the expert
// index set written for it applies on both databases.
import type { SqlEntityManager } from '@mikro-orm/sql';
import { instrument } from '@stratum/profiler';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { CHINOOK_WORKLOAD, readWorkloadSample, recordChinookWorkload } from '../src/workload/chinook-workload.js';
import { EXPERT_INDEXES } from '../src/workload/expert-indexes.js';

describeEachDriver('the Chinook workload', (ctx) => {
  const chinook = useChinook(ctx);

  beforeAll(() => instrument(chinook.orm));

  it('declares at least 15 read shapes and 3 write shapes', () => {
    expect(CHINOOK_WORKLOAD.filter((s) => s.kind === 'read').length).toBeGreaterThanOrEqual(15);
    expect(CHINOOK_WORKLOAD.filter((s) => s.kind === 'write').length).toBeGreaterThanOrEqual(3);
    expect(new Set(CHINOOK_WORKLOAD.map((s) => s.name)).size).toBe(CHINOOK_WORKLOAD.length);
  });

  it('records a version-1 workload file from MikroORM calls, each shape as often as declared', async () => {
    const workload = await recordChinookWorkload(chinook.orm, { rounds: 2 });
    expect(workload.version).toBe(1);
    expect(workload.dialect).toBe(ctx.driver === 'sqlite' ? 'sqlite' : 'postgresql');
    const reads = workload.queries.filter((q) => q.kind === 'select');
    const writes = workload.queries.filter((q) => q.kind !== 'select');
    expect(reads.length).toBeGreaterThanOrEqual(15);
    expect(new Set(writes.map((q) => q.kind))).toEqual(new Set(['insert', 'update', 'delete']));
    // The heaviest shape: 40 calls a round, 2 rounds.
    const lines = workload.queries.find(
      (q) =>
        q.tables.length === 1 &&
        q.tables[0] === 'invoice_line' &&
        /invoice_id/.test(q.normalized) &&
        q.kind === 'select' &&
        !/limit/.test(q.normalized),
    );
    expect(lines?.calls).toBe(80);
    expect(workload.queries.find((q) => /"?email"? = /.test(q.normalized))?.calls).toBe(60);
  });

  it('draws the same parameters for the same seed', async () => {
    const em = chinook.em() as SqlEntityManager;
    const a = await readWorkloadSample(em);
    const b = await readWorkloadSample(chinook.em() as SqlEntityManager);
    expect(a).toEqual(b);
    expect(a.emails.length).toBeGreaterThan(10);
  });

  it('the expert index set applies and every index serves a declared shape', async () => {
    const names = new Set(CHINOOK_WORKLOAD.map((s) => s.name));
    for (const index of EXPERT_INDEXES) for (const shape of index.serves) expect(names).toContain(shape);
    const connection = chinook.em().getConnection();
    if (ctx.driver === 'postgresql') await connection.execute('create extension if not exists pg_trgm');
    const statements = EXPERT_INDEXES.map((index) => index[ctx.driver]).filter((sql): sql is string => !!sql);
    try {
      for (const sql of statements) await connection.execute(sql);
    } finally {
      for (const index of EXPERT_INDEXES)
        if (index[ctx.driver]) await connection.execute(`drop index if exists "${index.name}"`);
    }
    expect(statements.length).toBeGreaterThanOrEqual(ctx.driver === 'postgresql' ? 17 : 16);
  });
});
