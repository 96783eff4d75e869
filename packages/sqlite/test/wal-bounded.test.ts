// Checkpoint starvation, on a real file with a real reader process: sustained writes while the
// reader holds a read transaction at intervals make the WAL grow past its limit; once the reader
// lets go, the WAL file comes back under the stated bound, and TRUNCATE on close empties it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqliteTuning, walBytes } from '../src/index.js';
import { createLedger, openLedger, removeSqlite, tempSqlitePath, writeLine } from './fixtures/ledger.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const READER = new URL('./fixtures/holding-reader.ts', import.meta.url).pathname;

const MiB = 1024 * 1024;
/** journal_size_limit of this test: the WAL file is cut back to it when a checkpoint resets the WAL. */
const LIMIT = 1 * MiB;
/**
 * The stated bound once the reader let go: the limit, plus the frames written since the last reset
 * (wal_autocheckpoint 200 pages of 4 KiB, plus one transaction's pages).
 */
const BOUND = LIMIT + 1 * MiB;

const file = tempSqlitePath('wal');
let orm: MikroORM;
let peakWhileHeld = 0;
let afterRelease = 0;
let afterClose = -1;

beforeAll(async () => {
  orm = await openLedger(
    sqliteTuning({
      dbName: file,
      pragmas: { journal_size_limit: LIMIT, wal_autocheckpoint: 200 },
      maintenance: { checkpointEveryMs: 200 },
    }),
  );
  await createLedger(orm);
  const reader = spawn(NODE, ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register', READER], {
    cwd: ROOT,
    env: { ...process.env, HOLDING_READER: JSON.stringify({ file, holdMs: 1500, gapMs: 300, rounds: 3 }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let holding = false;
  let exited = false;
  reader.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (chunk.includes('holding')) holding = true;
    if (chunk.includes('released')) holding = false;
  });
  const readerDone = new Promise<void>((resolve) =>
    reader.on('close', () => {
      exited = true;
      resolve();
    }),
  );
  let seq = 0;
  // Sustained writes for as long as the reader runs, then 1 s more.
  let stopAt = Number.POSITIVE_INFINITY;
  void readerDone.then(() => {
    stopAt = Date.now() + 1_000;
  });
  const hardStop = Date.now() + 60_000;
  while (Date.now() < stopAt && Date.now() < hardStop) {
    seq++;
    await writeLine(orm, 'w', seq, 1);
    if (holding) peakWhileHeld = Math.max(peakWhileHeld, walBytes(file));
    // better-sqlite3 resolves at once: without yielding, the reader's output and exit (and the
    // checkpoint timer) would never get a turn of the event loop.
    if (seq % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  expect(exited).toBe(true);
  afterRelease = walBytes(file);
  await orm.close();
  afterClose = walBytes(file);
}, 120_000);

afterAll(() => removeSqlite(file));

it(`grows past the limit while a reader holds a snapshot, and is back under ${BOUND / MiB} MiB once it lets go`, () => {
  expect(peakWhileHeld).toBeGreaterThan(BOUND);
  expect(afterRelease).toBeLessThanOrEqual(BOUND);
});

it('is empty after TRUNCATE on close', () => {
  expect(afterClose).toBe(0);
});
