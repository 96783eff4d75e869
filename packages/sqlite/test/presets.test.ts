// Every preset, on real files: the pragmas read back as asked on the first connection, on a second
// ORM on the same file (SQLite answers synchronous differently there) and after a reconnect.
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { DatabaseConnection } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PRAGMA_ORDER,
  readPragma,
  SQLITE_PRESETS,
  type SqlitePragmaName,
  type SqlitePresetName,
  sqliteTuning,
  sqliteTuningReport,
  type TunedSqliteConnection,
} from '../src/index.js';
import { PRAGMA_SPECS } from '../src/pragmas.js';
import { createLedger, openLedger, removeSqlite, tempSqlitePath } from './fixtures/ledger.js';

const opened: MikroORM[] = [];
const files: string[] = [];

afterEach(async () => {
  for (const orm of opened.splice(0)) await orm.close(true);
  for (const file of files.splice(0)) await removeSqlite(file);
});

async function open(options: Parameters<typeof sqliteTuning>[0]): Promise<MikroORM> {
  const orm = await openLedger(sqliteTuning(options));
  opened.push(orm);
  // MikroORM 7 connects lazily, at the first query; connecting now applies and verifies the tuning.
  await orm.connect();
  return orm;
}

/** Each pragma as the ORM's own connection answers `pragma <name>` now (not the stored report). */
async function readBack(orm: MikroORM): Promise<Partial<Record<SqlitePragmaName, unknown>>> {
  const connection = (orm.em as SqlEntityManager).getConnection();
  const out: Partial<Record<SqlitePragmaName, unknown>> = {};
  for (const name of PRAGMA_ORDER) {
    const rows = await connection.execute<Record<string, unknown>[]>(`pragma ${name}`);
    out[name] = rows[0] === undefined ? undefined : PRAGMA_SPECS[name].fromDb(Object.values(rows[0])[0]);
  }
  return out;
}

function newFile(label: string): string {
  const file = tempSqlitePath(label);
  files.push(file);
  return file;
}

describe.each(Object.keys(SQLITE_PRESETS) as SqlitePresetName[])('the %s preset', (preset) => {
  const asked = SQLITE_PRESETS[preset].pragmas;

  it('reads back as asked on the first connection, a second ORM on the file, and after a reconnect', async () => {
    const file = newFile(preset);
    // readOnly cannot create the schema: a writer does, as in production.
    const writer = await open({ dbName: file, preset: preset === 'readOnly' ? 'default' : preset });
    await createLedger(writer);
    const first = preset === 'readOnly' ? await open({ dbName: file, preset }) : writer;
    expect(await readBack(first)).toMatchObject(asked);
    expect(sqliteTuningReport(first)?.mismatches).toEqual([]);

    const second = await open({ dbName: file, preset });
    expect(await readBack(second)).toMatchObject(asked);
    expect(sqliteTuningReport(second)).toMatchObject({ mismatches: [], actual: asked });

    await second.close();
    await second.connect();
    expect(await readBack(second)).toMatchObject(asked);
    expect(sqliteTuningReport(second)?.mismatches).toEqual([]);
  });
});

it('sets synchronous explicitly after switching to WAL: the switching connection reads NORMAL, not FULL', async () => {
  const file = newFile('sync');
  const orm = await open({ dbName: file });
  const connection = orm.em.getDriver().getConnection() as TunedSqliteConnection;
  expect(connection.report?.actual).toMatchObject({ journal_mode: 'wal', synchronous: 'normal' });
  expect(Object.keys(connection.report?.asked ?? {}).slice(0, 3)).toEqual([
    'busy_timeout',
    'journal_mode',
    'synchronous',
  ]);
});

it('applies the pragmas to read replicas too', async () => {
  const file = newFile('replica');
  const orm = await open({ dbName: file });
  await createLedger(orm);
  const replicated = await openLedger({ ...sqliteTuning({ dbName: file }), replicas: [{ name: 'r1', dbName: file }] });
  opened.push(replicated);
  const read = replicated.em.getDriver().getConnection('read') as TunedSqliteConnection;
  expect(read).not.toBe(replicated.em.getDriver().getConnection('write'));
  await read.execute('select 1');
  expect(read.report).toMatchObject({ mismatches: [], actual: { journal_mode: 'wal', mmap_size: 128 * 1024 * 1024 } });
});

it('runs the application’s own onCreateConnection after the tuning', async () => {
  const file = newFile('hook');
  const seen: unknown[] = [];
  const orm = await openLedger({
    ...sqliteTuning({ dbName: file }),
    onCreateConnection: async (connection) => {
      seen.push(await readPragma(connection as DatabaseConnection, 'journal_mode'));
    },
  });
  opened.push(orm);
  await orm.connect();
  expect(seen).toEqual(['wal']);
});

describe('an in-memory database', () => {
  it('keeps journal_mode memory, skips mmap, applies the rest, and reports why', async () => {
    const orm = await open({ dbName: ':memory:' });
    const report = sqliteTuningReport(orm);
    expect(report?.mismatches).toEqual([]);
    expect(report?.skipped.map((s) => s.pragma)).toEqual(['journal_mode', 'mmap_size']);
    expect(await readBack(orm)).toMatchObject({ journal_mode: 'memory', synchronous: 'normal', cache_size: -32768 });
  });
});

describe('a read-only handle', () => {
  it('on a WAL file: journal_mode is read back (wal), not changed, and transactions never write', async () => {
    const file = newFile('ro');
    const writer = await open({ dbName: file });
    await createLedger(writer);
    const reader = await open({ dbName: file, readonly: true });
    expect(sqliteTuningReport(reader)).toMatchObject({ mismatches: [], actual: { journal_mode: 'wal' } });
    expect(sqliteTuningReport(reader)?.skipped.map((s) => s.pragma)).toEqual(['journal_mode']);
    const conn = reader.em.getDriver().getConnection() as TunedSqliteConnection;
    expect(conn.tuning.transactions).toBe('deferred');
    await expect(
      (reader.em as SqlEntityManager).fork().transactional((em) => em.execute('select count(*) as n from ledger_line')),
    ).resolves.toEqual([{ n: 0 }]);
  });

  it('on a file in rollback-journal mode: warns (by default on the console) that journal_mode is delete, not wal; strict refuses to connect', async () => {
    const file = newFile('ro-delete');
    const writer = await open({ dbName: file, pragmas: { journal_mode: 'delete' } });
    await createLedger(writer);
    await writer.close();
    const warnings: unknown[] = [];
    const reader = await open({ dbName: file, readonly: true, onMismatch: (_f, m) => warnings.push(...m) });
    expect(warnings).toEqual([{ pragma: 'journal_mode', asked: 'wal', actual: 'delete' }]);
    await reader.close();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const quiet = await open({ dbName: file, readonly: true });
      await quiet.close();
      expect(warn.mock.calls).toEqual([
        [`@stratum/sqlite: ${file}: journal_mode asked wal, the database says delete.`],
      ]);
    } finally {
      warn.mockRestore();
    }
    await expect(open({ dbName: file, readonly: true, strict: true })).rejects.toMatchObject({
      code: 'E_SQLITE_PRAGMA_MISMATCH',
      message: `${file}: journal_mode asked wal, the database says delete.`,
    });
  });
});
