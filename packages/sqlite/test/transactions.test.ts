// BEGIN IMMEDIATE for writes, deferred for reads, and a write blocked past the busy timeout: another
// real connection to the same file (better-sqlite3, as a second process would have) holds the lock.
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { BaseRepository } from '@stratum/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqliteBusyTimeoutError, sqliteTuning, type TunedSqliteConnection } from '../src/index.js';
import {
  createLedger,
  LedgerLine,
  LedgerTotal,
  openLedger,
  removeSqlite,
  tempSqlitePath,
  writeLine,
} from './fixtures/ledger.js';

let file: string;
let orm: MikroORM;
let other: Database.Database;

beforeEach(async () => {
  file = tempSqlitePath('trx');
  orm = await openLedger(sqliteTuning({ dbName: file, pragmas: { busy_timeout: 300 } }));
  await createLedger(orm);
  await writeLine(orm, 'setup', 1, 10);
  other = new Database(file, { timeout: 0 });
});

afterEach(async () => {
  other.close();
  await orm.close(true);
  await removeSqlite(file);
});

/** Whether another connection can take the write lock right now (busy_timeout 0: no waiting). */
function otherCanWrite(): boolean {
  try {
    other.exec('begin immediate');
    other.exec('rollback');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw error;
  }
}

it('takes the write lock when em.transactional begins, before its first read', async () => {
  const during: boolean[] = [];
  await orm.em.fork().transactional(async (em) => {
    during.push(otherCanWrite());
    await em.findOneOrFail(LedgerTotal, 1);
  });
  expect(during).toEqual([false]);
  expect(otherCanWrite()).toBe(true);
});

it('keeps read-only transactions deferred: they never take the write lock', async () => {
  const during: boolean[] = [];
  await orm.em.fork().transactional(
    async (em) => {
      await em.findOneOrFail(LedgerTotal, 1);
      during.push(otherCanWrite());
    },
    { readOnly: true },
  );
  expect(during).toEqual([true]);
});

/** Records, at each transaction start of `orm`, whether another connection could still write. */
function lockAtEachBegin(target: MikroORM): boolean[] {
  const during: boolean[] = [];
  target.em.getEventManager().registerSubscriber({
    afterTransactionStart: () => {
      during.push(otherCanWrite());
    },
  });
  return during;
}

it('begins the implicit transaction of a flush IMMEDIATE as well', async () => {
  const during = lockAtEachBegin(orm);
  const em = orm.em.fork();
  em.create(LedgerLine, { writer: 'flush', seq: 1, amount: 1 });
  await em.flush();
  expect(during).toEqual([false]);
});

it('begins the transactions of BaseRepository bulk operations IMMEDIATE', async () => {
  const during = lockAtEachBegin(orm);
  const lines = orm.em.fork().getRepository(LedgerLine) as unknown as BaseRepository<LedgerLine>;
  await lines.insertMany([
    { writer: 'bulk', seq: 1, amount: 1 },
    { writer: 'bulk', seq: 2, amount: 2 },
  ]);
  expect(during).toEqual([false]);
});

it('fails a write blocked past the busy timeout with SqliteBusyTimeoutError naming the file and the wait, and writes nothing', async () => {
  other.exec('begin immediate');
  other.prepare("insert into ledger_line (writer, seq, amount) values ('other', 1, 5)").run();
  const started = Date.now();
  const error = await writeLine(orm, 'blocked', 1, 7).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SqliteBusyTimeoutError);
  const busy = error as SqliteBusyTimeoutError;
  expect(busy).toMatchObject({ code: 'E_SQLITE_BUSY_TIMEOUT', file, timeoutMs: 300 });
  expect(busy.waitedMs).toBeGreaterThanOrEqual(290);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(busy.message).toContain(`SQLite write lock on ${file} not acquired after waiting ${busy.waitedMs} ms`);
  other.exec('rollback');
  const em = orm.em.fork() as SqlEntityManager;
  expect(await em.execute('select writer, seq, amount from ledger_line')).toEqual([
    { writer: 'setup', seq: 1, amount: 10 },
  ]);
  expect(await em.execute('select lines, sum from ledger_total')).toEqual([{ lines: 1, sum: 10 }]);
  const stats = (orm.em.getDriver().getConnection() as TunedSqliteConnection).stats;
  expect(stats.busyTimeouts).toBe(1);
  expect(stats.busyWaits).toBeGreaterThanOrEqual(1);
  // The ORM is fine afterwards.
  await writeLine(orm, 'after', 1, 3);
  expect(await em.execute('select sum from ledger_total')).toEqual([{ sum: 13 }]);
});

it('fails a flush blocked past the busy timeout with the same typed error', async () => {
  other.exec('begin immediate');
  const em = orm.em.fork();
  em.create(LedgerLine, { writer: 'flush', seq: 1, amount: 1 });
  await expect(em.flush()).rejects.toBeInstanceOf(SqliteBusyTimeoutError);
  other.exec('rollback');
});

it('fails a write outside any transaction blocked past the timeout with the typed error', async () => {
  other.exec('begin immediate');
  const em = orm.em.fork() as SqlEntityManager;
  await expect(em.execute("insert into ledger_line (writer, seq, amount) values ('raw', 1, 1)")).rejects.toBeInstanceOf(
    SqliteBusyTimeoutError,
  );
  other.exec('rollback');
});
