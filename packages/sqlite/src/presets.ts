import type { SqlitePragmaName, SqlitePragmas } from './pragmas.js';

/** The name of a preset of {@link SQLITE_PRESETS}. */
export type SqlitePresetName = 'default' | 'durable' | 'fast' | 'readOnly';

/** A preset: the pragmas it sets and the reason for each value. */
export interface SqlitePreset {
  readonly description: string;
  readonly pragmas: Readonly<Partial<SqlitePragmas>>;
  readonly reasons: Readonly<Partial<Record<SqlitePragmaName, string>>>;
}

const MiB = 1024 * 1024;

const DEFAULT_REASONS = {
  busy_timeout:
    '5 s: a writer waits for another one instead of failing with SQLITE_BUSY; set first, so journal_mode waits too',
  journal_mode:
    'WAL: readers never block the writer nor the writer them; one fsync per checkpoint instead of per commit',
  synchronous:
    'NORMAL is safe in WAL (no corruption on power loss; the last commits before it may be lost); FULL costs an fsync per commit',
  foreign_keys: 'on: the schema says what references what; SQLite ignores it unless asked, per connection',
  temp_store: 'memory: sorts and temporary indexes of big queries stay off the disk',
  cache_size: '32 MiB per connection (SQLite ships 2 MiB): the hot pages of a mid-sized database stay in memory',
  mmap_size:
    '128 MiB: reads of the first 128 MiB skip a copy through the page cache (Rails 8 value); pages are shared between processes',
  journal_size_limit:
    '64 MiB: after a checkpoint resets the WAL, its file is cut back to this size instead of staying as large as it ever grew',
  wal_autocheckpoint:
    '1000 pages (SQLite default, ~4 MiB) stated explicitly: a commit past it checkpoints, keeping the WAL short',
  analysis_limit: '400 rows per index: PRAGMA optimize stays fast on big tables (SQLite recommends 100-1000)',
} satisfies Partial<Record<SqlitePragmaName, string>>;

const DEFAULT_PRAGMAS = {
  busy_timeout: 5000,
  journal_mode: 'wal',
  synchronous: 'normal',
  foreign_keys: true,
  temp_store: 'memory',
  cache_size: -32 * 1024,
  mmap_size: 128 * MiB,
  journal_size_limit: 64 * MiB,
  wal_autocheckpoint: 1000,
  analysis_limit: 400,
} satisfies Partial<SqlitePragmas>;

/**
 * The presets and why each value was chosen (docs/sqlite.md has the measured figures).
 *
 * - `default`: Rails-8-like and safe. WAL, synchronous NORMAL, foreign keys, 5 s busy timeout,
 *   128 MiB mmap, 64 MiB journal size limit, 32 MiB page cache, temp_store memory.
 * - `durable`: `default` with synchronous FULL: a commit survives power loss once it returned.
 * - `fast`: bulk loads and tests. synchronous OFF, 1 GiB mmap, 256 MiB cache. Gives up durability
 *   against an OS crash or power loss: the last commits may be lost and the file may be corrupted.
 *   An application crash (the process dies, the OS stays up) loses nothing.
 * - `readOnly`: reader connections and reporting processes. query_only on, deferred transactions,
 *   no checkpoints or optimize from this connection; the journal mode is left as the file has it.
 *
 * @example
 * ```ts
 * SQLITE_PRESETS.default.pragmas.mmap_size; // 134217728
 * SQLITE_PRESETS.fast.reasons.synchronous; // 'OFF: no fsync at all …'
 * ```
 */
export const SQLITE_PRESETS: Readonly<Record<SqlitePresetName, SqlitePreset>> = {
  default: {
    description:
      'WAL, synchronous NORMAL, foreign keys, busy timeout, mmap, bounded WAL, larger cache (Rails-8-like, safe)',
    pragmas: DEFAULT_PRAGMAS,
    reasons: DEFAULT_REASONS,
  },
  durable: {
    description: 'default with synchronous FULL: every returned commit survives power loss',
    pragmas: { ...DEFAULT_PRAGMAS, synchronous: 'full' },
    reasons: {
      ...DEFAULT_REASONS,
      synchronous:
        'FULL: the WAL is fsynced at every commit, so a commit that returned survives power loss (~3-10x fewer write txns/s)',
    },
  },
  fast: {
    description:
      'bulk loads and tests: no fsync, larger mmap and cache; an OS crash or power loss may lose or corrupt data',
    pragmas: { ...DEFAULT_PRAGMAS, synchronous: 'off', mmap_size: 1024 * MiB, cache_size: -256 * 1024 },
    reasons: {
      ...DEFAULT_REASONS,
      synchronous:
        'OFF: no fsync at all. Safe if the process crashes; an OS crash or power loss may lose the last commits and corrupt the file',
      mmap_size: '1 GiB: a bulk-loaded database is read through the mapping, without a copy per page',
      cache_size: '256 MiB per connection: index builds and big loads stay in memory',
    },
  },
  readOnly: {
    description: 'reader connections and reporting processes: query_only, deferred transactions, no maintenance writes',
    pragmas: {
      busy_timeout: DEFAULT_PRAGMAS.busy_timeout,
      temp_store: DEFAULT_PRAGMAS.temp_store,
      cache_size: DEFAULT_PRAGMAS.cache_size,
      mmap_size: DEFAULT_PRAGMAS.mmap_size,
      query_only: true,
    },
    reasons: {
      busy_timeout: DEFAULT_REASONS.busy_timeout,
      temp_store: DEFAULT_REASONS.temp_store,
      cache_size: DEFAULT_REASONS.cache_size,
      mmap_size: DEFAULT_REASONS.mmap_size,
      query_only:
        'on: this connection refuses every write, so a reporting process cannot change data or take the write lock',
    },
  },
};

/**
 * The pragmas of Rails 8's SQLite adapter (its `DEFAULT_PRAGMAS` plus the 5 s timeout of its
 * generated database.yml), for comparisons in benchmarks and tests. Rails also starts transactions
 * IMMEDIATE; MikroORM with these pragmas does not.
 *
 * @example
 * ```ts
 * new Database(file).pragma('journal_mode = ' + RAILS8_PRAGMAS.journal_mode);
 * ```
 */
export const RAILS8_PRAGMAS: Readonly<Partial<SqlitePragmas>> = {
  busy_timeout: 5000,
  journal_mode: 'wal',
  synchronous: 'normal',
  foreign_keys: true,
  mmap_size: 128 * MiB,
  journal_size_limit: 64 * MiB,
  cache_size: 2000,
};
