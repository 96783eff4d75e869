// Every bad configuration is a SqliteConfigError thrown by sqliteTuning() itself, while the config is
// built, with a message that states what was expected and what was received.
import { describe, expect, it } from 'vitest';
import { SqliteConfigError, type SqliteTuningOptions, sqliteTuning } from '../src/index.js';

const file = '/tmp/never-opened.sqlite';

function configError(options: unknown): SqliteConfigError {
  try {
    sqliteTuning(options as SqliteTuningOptions);
  } catch (error) {
    if (error instanceof SqliteConfigError) return error;
    throw error;
  }
  throw new Error('sqliteTuning accepted a bad configuration');
}

describe('sqliteTuning refuses, while the config is built', () => {
  it.each([
    [
      'an unknown pragma',
      { dbName: file, pragmas: { mmap: 1 } },
      'pragmas.mmap',
      'pragmas may only set busy_timeout, journal_mode, synchronous, foreign_keys, temp_store, cache_size, mmap_size, journal_size_limit, wal_autocheckpoint, analysis_limit, query_only, but got: "mmap".',
    ],
    [
      'a value out of range',
      { dbName: file, pragmas: { mmap_size: -1 } },
      'pragmas.mmap_size',
      'pragmas.mmap_size must be an integer from 0 to 9007199254740991 (bytes), but got: -1.',
    ],
    [
      'a value of the wrong type',
      { dbName: file, pragmas: { busy_timeout: '5s' } },
      'pragmas.busy_timeout',
      'pragmas.busy_timeout must be an integer from 0 to 2147483647 (milliseconds), but got: "5s".',
    ],
    [
      'a non-integer number',
      { dbName: file, pragmas: { cache_size: 1.5 } },
      'pragmas.cache_size',
      'pragmas.cache_size must be an integer from -9007199254740991 to 9007199254740991 (negative: KiB, positive: pages), but got: 1.5.',
    ],
    [
      'a value not among the allowed ones',
      { dbName: file, pragmas: { synchronous: 'normal-ish' } },
      'pragmas.synchronous',
      "pragmas.synchronous must be one of 'off', 'normal', 'full', 'extra', but got: \"normal-ish\".",
    ],
    [
      'a boolean pragma given as a number',
      { dbName: file, pragmas: { foreign_keys: 1 } },
      'pragmas.foreign_keys',
      'pragmas.foreign_keys must be a boolean, but got: 1.',
    ],
    [
      'a preset that does not exist',
      { dbName: file, preset: 'turbo' },
      'preset',
      "preset must be one of 'default', 'durable', 'fast', 'readOnly', but got: \"turbo\".",
    ],
    [
      'WAL asked for :memory:',
      { dbName: ':memory:', pragmas: { journal_mode: 'wal' } },
      'pragmas.journal_mode',
      "pragmas.journal_mode must be 'memory' or 'off' for an in-memory database (:memory: has no file for a WAL), but got: \"wal\".",
    ],
    [
      'WAL asked for a file: URI in memory',
      { dbName: 'file:shared?mode=memory&cache=shared', pragmas: { journal_mode: 'wal' } },
      'pragmas.journal_mode',
      "pragmas.journal_mode must be 'memory' or 'off' for an in-memory database (file:shared?mode=memory&cache=shared has no file for a WAL), but got: \"wal\".",
    ],
    [
      'a missing dbName',
      { preset: 'default' },
      'dbName',
      "dbName must be a string (the database file, or ':memory:'), but got: undefined.",
    ],
    [
      'an unknown option',
      { dbName: file, strictMode: true },
      'strictMode',
      'sqliteTuning has no option "strictMode"; expected one of dbName, preset, pragmas, strict, readonly, transactions, maintenance, onMismatch.',
    ],
    [
      'a transaction mode that does not exist',
      { dbName: file, transactions: 'exclusive' },
      'transactions',
      "transactions must be 'immediate' or 'deferred', but got: \"exclusive\".",
    ],
    [
      'a timer interval of 0',
      { dbName: file, maintenance: { checkpointEveryMs: 0 } },
      'maintenance.checkpointEveryMs',
      'maintenance.checkpointEveryMs must be false or an integer from 1 to 2147483647 (milliseconds), but got: 0.',
    ],
    [
      'an unknown maintenance option',
      { dbName: file, maintenance: { vacuumEveryMs: 10 } },
      'maintenance.vacuumEveryMs',
      'maintenance has no option "vacuumEveryMs"; expected one of checkpointEveryMs, optimizeEveryMs, truncateOnClose.',
    ],
    ['strict as a string', { dbName: file, strict: 'yes' }, 'strict', 'strict must be a boolean, but got: "yes".'],
    [
      'pragmas as an array',
      { dbName: file, pragmas: ['journal_mode=wal'] },
      'pragmas',
      'pragmas must be an object of pragma names to values, but got: ["journal_mode=wal"].',
    ],
  ])('%s', (_what, options, option, message) => {
    const error = configError(options);
    expect(error).toMatchObject({ code: 'E_SQLITE_CONFIG', option, message });
  });

  it('accepts the default preset on :memory: (journal_mode stays memory, documented) and journal_mode memory asked explicitly', () => {
    expect(sqliteTuning({ dbName: ':memory:' }).dbName).toBe(':memory:');
    expect(sqliteTuning({ dbName: ':memory:', pragmas: { journal_mode: 'memory' } }).dbName).toBe(':memory:');
  });

  it('carries the overrides on top of the preset, in application order', () => {
    const { driver } = sqliteTuning({ dbName: file, preset: 'durable', pragmas: { mmap_size: 0, busy_timeout: 100 } });
    expect(driver.tuning?.pragmas).toMatchObject({ synchronous: 'full', mmap_size: 0, busy_timeout: 100 });
    expect(Object.keys(driver.tuning?.pragmas ?? {}).slice(0, 3)).toEqual([
      'busy_timeout',
      'journal_mode',
      'synchronous',
    ]);
  });
});
