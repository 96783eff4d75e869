// Several writer processes and several reader processes on one file (real processes, real file):
// with the default preset no SQLITE_BUSY reaches the application, no row is lost or duplicated
// (count and checksum at the end), and every reader sees only committed data.
import type { SqlEntityManager } from '@mikro-orm/sql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqliteTuning } from '../src/index.js';
import { createLedger, openLedger, removeSqlite, tempSqlitePath } from './fixtures/ledger.js';
import { type ContentionResult, startContentionPool } from './fixtures/run-contention.js';

const WRITERS = 3;
const READERS = 3;
const MIN_MS = 10_000;
const MIN_WRITES = 5_000;

const file = tempSqlitePath('contention');
let result: ContentionResult;

beforeAll(async () => {
  const orm = await openLedger(sqliteTuning({ dbName: file }));
  await createLedger(orm);
  await orm.close();
  const pool = startContentionPool(WRITERS, READERS);
  try {
    result = await pool.round({
      file,
      mode: 'stratum-default',
      durationMs: MIN_MS,
      minWrites: MIN_WRITES,
      hardStopMs: 90_000,
    });
  } finally {
    await pool.close();
  }
}, 180_000);

afterAll(() => removeSqlite(file));

it(`${WRITERS} writer and ${READERS} reader processes for ≥ 10 s and ≥ 5,000 writes: zero SQLITE_BUSY reaches the application`, () => {
  const writers = result.reports.filter((r) => r.role === 'writer');
  const readers = result.reports.filter((r) => r.role === 'reader');
  expect(writers.length).toBe(WRITERS);
  expect(readers.length).toBe(READERS);
  expect(Math.min(...result.reports.map((r) => r.elapsedMs))).toBeGreaterThanOrEqual(MIN_MS);
  expect(writers.reduce((n, r) => n + r.ops, 0)).toBeGreaterThanOrEqual(MIN_WRITES);
  expect(writers.every((r) => r.ops > 0) && readers.every((r) => r.ops > 0)).toBe(true);
  expect(
    result.reports.map((r) => ({ name: r.name, busy: r.busyErrors, other: r.otherErrors, last: r.lastError })),
  ).toEqual(result.reports.map((r) => ({ name: r.name, busy: 0, other: 0, last: null })));
});

it('loses and duplicates no row: count, checksum and per-writer sequences match what the writers committed', async () => {
  const writers = result.reports.filter((r) => r.role === 'writer');
  const orm = await openLedger(sqliteTuning({ dbName: file }));
  try {
    const em = orm.em.fork() as SqlEntityManager;
    const [ledger] = await em.execute('select count(*) as n, sum(amount) as s from ledger_line');
    expect(ledger).toEqual({ n: writers.reduce((n, r) => n + r.ops, 0), s: writers.reduce((n, r) => n + r.sum, 0) });
    expect(await em.execute('select lines as n, sum as s from ledger_total')).toEqual([ledger]);
    const perWriter = await em.execute(
      'select writer, count(*) as n, count(distinct seq) as d, max(seq) as m from ledger_line group by writer order by writer',
    );
    expect(perWriter).toEqual(writers.map((r) => ({ writer: r.name, n: r.ops, d: r.ops, m: r.ops })));
  } finally {
    await orm.close();
  }
});

it('every reader saw only committed data: lines and running total always agreed, and never went back', () => {
  const readers = result.reports.filter((r) => r.role === 'reader');
  expect(readers.map((r) => r.violations)).toEqual(readers.map(() => 0));
  expect(readers.reduce((n, r) => n + r.ops, 0)).toBeGreaterThan(100);
});
