// Maintenance on real files and a real process: checkpoints and optimize run on timers that never
// keep the process alive, closing the ORM stops them, and TRUNCATE on close leaves an empty WAL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { collectMetrics } from '@stratum/core';
import { afterEach, expect, it } from 'vitest';
import {
  inspectSqlite,
  registerSqliteMetrics,
  type SqliteConnectionStats,
  sqliteTuning,
  type TunedSqliteConnection,
  walBytes,
} from '../src/index.js';
import { createLedger, openLedger, removeSqlite, tempSqlitePath, writeLine } from './fixtures/ledger.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const files: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const file of files.splice(0)) await removeSqlite(file);
});

function newFile(label: string): string {
  const file = tempSqlitePath(label);
  files.push(file);
  return file;
}

it('never keeps the process alive: a process that leaves its ORM open still exits, after its timers ran', async () => {
  const file = newFile('idle');
  const child = spawn(
    NODE,
    [
      '--conditions=@stratum/source',
      '--import',
      '@swc-node/register/esm-register',
      new URL('./fixtures/idle-orm.ts', import.meta.url).pathname,
    ],
    { cwd: ROOT, env: { ...process.env, IDLE_ORM_FILE: file }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  const stats = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SqliteConnectionStats;
  expect(stats.checkpoints).toBeGreaterThan(3);
  expect(stats.optimizeRuns).toBeGreaterThan(2);
}, 40_000);

it('stops the timers when the ORM closes, and TRUNCATE on close leaves an empty WAL file', async () => {
  const file = newFile('close');
  const orm = await openLedger(sqliteTuning({ dbName: file, maintenance: { checkpointEveryMs: 20 } }));
  await createLedger(orm);
  for (let seq = 1; seq <= 50; seq++) await writeLine(orm, 'w', seq, seq);
  const connection = orm.em.getDriver().getConnection() as TunedSqliteConnection;
  await sleep(100);
  expect(connection.maintenance?.running).toBe(true);
  expect(walBytes(file)).toBeGreaterThan(0);
  await orm.close();
  expect(connection.maintenance).toBeUndefined();
  const after = connection.stats.checkpoints;
  expect(connection.stats.lastCheckpoint).toMatchObject({ mode: 'TRUNCATE', busy: 0, log: 0 });
  await sleep(150);
  expect(connection.stats.checkpoints).toBe(after);
  expect(existsSync(`${file}-wal`) ? walBytes(file) : 0).toBe(0);
});

it('reports the pragmas beside the recommended ones, WAL size, pages, freelist and the last checkpoint', async () => {
  const file = newFile('inspect');
  const orm = await openLedger(sqliteTuning({ dbName: file, pragmas: { mmap_size: 0 } }));
  await createLedger(orm);
  await writeLine(orm, 'w', 1, 1);
  const connection = orm.em.getDriver().getConnection() as TunedSqliteConnection;
  connection.maintenance?.checkpoint('PASSIVE');
  const report = inspectSqlite(orm);
  expect(report).toMatchObject({
    file,
    preset: 'default',
    pragmas: { journal_mode: 'wal', synchronous: 'normal', mmap_size: 0 },
    recommended: { journal_mode: 'wal', mmap_size: 0 },
    differences: [],
    lastCheckpoint: { mode: 'PASSIVE', busy: 0 },
    busyTimeouts: 0,
  });
  expect(report.pageCount).toBeGreaterThan(1);
  expect(report.pageSize).toBe(4096);
  expect(report.freelistCount).toBe(0);
  expect(report.walBytes).toBe(walBytes(file));
  await orm.close();
});

it('inspects a file by path: a file in rollback-journal mode differs in journal_mode, with the reason', async () => {
  const file = newFile('plain');
  const orm = await openLedger({ ...sqliteTuning({ dbName: file, pragmas: { journal_mode: 'delete' } }) });
  await createLedger(orm);
  await orm.close();
  const report = inspectSqlite(file);
  expect(report.differences.find((d) => d.pragma === 'journal_mode')).toEqual({
    pragma: 'journal_mode',
    actual: 'delete',
    recommended: 'wal',
    reason: expect.stringContaining('WAL: readers never block the writer'),
    scope: 'file',
  });
  // Per-connection pragmas show what a fresh connection gets (SQLite's defaults), flagged as such.
  expect(report.differences.find((d) => d.pragma === 'mmap_size')).toMatchObject({ actual: 0, scope: 'connection' });
  expect(report.walBytes).toBe(0);
});

it('puts WAL bytes, checkpoints and busy waits in the metrics snapshot and the Prometheus export', async () => {
  const file = newFile('metrics');
  const orm = await openLedger(sqliteTuning({ dbName: file }));
  await createLedger(orm);
  await writeLine(orm, 'w', 1, 1);
  const off = registerSqliteMetrics(orm, 'sqlite.test');
  const promClient = await import('prom-client');
  const { startProfiling } = await import('@stratum/profiler');
  const { registerPrometheusMetrics } = await import('@stratum/profiler/prometheus');
  const profiler = startProfiling();
  try {
    const metrics = collectMetrics()['sqlite.test'] as Record<string, number>;
    // busyWaits counts BEGINs and writes that took ≥ 1 ms: on a loaded machine a stall can count too.
    expect(metrics).toMatchObject({
      walBytes: walBytes(file),
      checkpoints: 0,
      busyWaits: expect.any(Number),
      busyTimeouts: 0,
    });
    const registry = new promClient.Registry();
    registerPrometheusMetrics(promClient, registry, profiler);
    const text = await registry.metrics();
    expect(text).toMatch(new RegExp(`stratum_metric\\{name="sqlite.test",key="walBytes"\\} ${walBytes(file)}`));
    expect(text).toMatch(new RegExp(`stratum_metric\\{name="sqlite.test",key="busyWaits"\\} ${metrics.busyWaits}`));
    expect(text).toMatch(/stratum_metric\{name="sqlite.test",key="busyTimeouts"\} 0/);
  } finally {
    profiler.stop();
    off();
    await orm.close();
  }
  expect(collectMetrics()['sqlite.test']).toBeUndefined();
});

it('keeps schema refresh working after PRAGMA optimize created sqlite_stat1', async () => {
  const file = newFile('stat1');
  const orm = await openLedger(sqliteTuning({ dbName: file }));
  await createLedger(orm);
  for (let seq = 1; seq <= 20; seq++) await writeLine(orm, 'w', seq, seq);
  await orm.close();
  const again = await openLedger(sqliteTuning({ dbName: file }));
  try {
    const [stat] = await again.em
      .getConnection()
      .execute<{ n: number }[]>("select count(*) as n from sqlite_master where name = 'sqlite_stat1'");
    expect(stat?.n).toBe(1);
    await again.schema.refresh();
    await again.em.getConnection().execute('insert into ledger_total (id, lines, sum) values (1, 0, 0)');
    await writeLine(again, 'w', 1, 1);
  } finally {
    await again.close();
  }
});
