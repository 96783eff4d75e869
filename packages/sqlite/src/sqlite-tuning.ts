import { describeReceived as describeValue } from './describe-received.js';
import { SqliteConfigError } from './errors/sqlite-config-error.js';
import { describeMismatches } from './errors/sqlite-pragma-mismatch-error.js';
import type { PragmaMismatch, SkippedPragma } from './pragma-report.js';
import { PRAGMA_ORDER, PRAGMA_SPECS, type SqlitePragmaName, type SqlitePragmas } from './pragmas.js';
import { SQLITE_PRESETS, type SqlitePresetName } from './presets.js';

/** Periodic and on-close maintenance of a tuned connection. */
export interface SqliteMaintenanceOptions {
  /**
   * Milliseconds between PASSIVE WAL checkpoints (they never wait for readers); `false` turns them off.
   * @default 10_000
   */
  checkpointEveryMs?: number | false;
  /**
   * Milliseconds between `PRAGMA optimize` runs on long-lived connections; `false` turns them off.
   * It also runs when the connection opens and closes.
   * @default 3_600_000
   */
  optimizeEveryMs?: number | false;
  /**
   * Run `PRAGMA wal_checkpoint(TRUNCATE)` when the connection closes, leaving an empty WAL file.
   * @default true
   */
  truncateOnClose?: boolean;
}

/** Options of {@link sqliteTuning}. */
export interface SqliteTuningOptions {
  /** The database file, as MikroORM's `dbName` (`:memory:` for an in-memory database). */
  dbName: string;
  /**
   * The preset the pragmas start from.
   * @default 'default'
   */
  preset?: SqlitePresetName;
  /** Per-pragma overrides on top of the preset. */
  pragmas?: Partial<SqlitePragmas>;
  /**
   * A pragma that reads back differently from what was asked refuses the connection
   * ({@link SqlitePragmaMismatchError}) instead of warning.
   * @default false
   */
  strict?: boolean;
  /**
   * Open the file read-only (better-sqlite3's `readonly`): the journal mode is read, not changed, and
   * transactions and maintenance never write.
   * @default false
   */
  readonly?: boolean;
  /**
   * How write transactions begin. `immediate` takes the write lock at BEGIN, so a transaction that
   * reads then writes waits on the busy timeout instead of failing with SQLITE_BUSY. Transactions
   * started with `readOnly: true`, and every one under `query_only`, begin deferred.
   * @default 'immediate'
   */
  transactions?: 'immediate' | 'deferred';
  maintenance?: SqliteMaintenanceOptions;
  /**
   * Called with the mismatches when a pragma reads back differently (not in `strict` mode).
   * @default a console.warn naming the file and each pragma, asked and read back
   */
  onMismatch?: (file: string, mismatches: readonly PragmaMismatch[]) => void;
}

/** A validated tuning: what every connection of the ORM applies. */
export interface ResolvedSqliteTuning {
  readonly file: string;
  readonly memory: boolean;
  readonly preset: SqlitePresetName;
  /** The pragmas to set, in {@link PRAGMA_ORDER}. */
  readonly pragmas: Readonly<Partial<SqlitePragmas>>;
  /** Preset pragmas left out for this database, and why. */
  readonly skipped: readonly SkippedPragma[];
  readonly reasons: Readonly<Partial<Record<SqlitePragmaName, string>>>;
  readonly strict: boolean;
  readonly readonly: boolean;
  /** Whether this connection may write (not read-only, not query_only). */
  readonly writes: boolean;
  readonly transactions: 'immediate' | 'deferred';
  readonly maintenance: Readonly<Required<SqliteMaintenanceOptions>>;
  readonly onMismatch: (file: string, mismatches: readonly PragmaMismatch[]) => void;
}

const OPTION_KEYS = new Set([
  'dbName',
  'preset',
  'pragmas',
  'strict',
  'readonly',
  'transactions',
  'maintenance',
  'onMismatch',
]);
const MAINTENANCE_KEYS = new Set(['checkpointEveryMs', 'optimizeEveryMs', 'truncateOnClose']);
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Validates tuning options and resolves the preset plus overrides into the pragmas every connection
 * applies. Throws {@link SqliteConfigError} on the first bad option. {@link sqliteTuning} calls it;
 * call it yourself to check a configuration without building one.
 *
 * @example
 * ```ts
 * resolveSqliteTuning({ dbName: 'app.sqlite', preset: 'durable' }).pragmas.synchronous; // 'full'
 * resolveSqliteTuning({ dbName: ':memory:', pragmas: { journal_mode: 'wal' } }); // throws SqliteConfigError
 * ```
 */
export function resolveSqliteTuning(options: SqliteTuningOptions): ResolvedSqliteTuning {
  if (options === null || typeof options !== 'object') {
    throw new SqliteConfigError(
      'options',
      `sqliteTuning options must be an object, but got: ${describeValue(options)}.`,
      options,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new SqliteConfigError(
        key,
        `sqliteTuning has no option ${JSON.stringify(key)}; expected one of ${[...OPTION_KEYS].join(', ')}.`,
        key,
      );
    }
  }
  const file = validDbName(options.dbName);
  const preset = validPreset(options.preset);
  const overrides = validPragmas(options.pragmas);
  const strict = validBoolean('strict', options.strict, false);
  const readonly = validBoolean('readonly', options.readonly, false);
  const transactions = validTransactions(options.transactions);
  const maintenance = validMaintenance(options.maintenance);
  const onMismatch = validOnMismatch(options.onMismatch);
  const memory = isMemoryDatabase(file);

  const merged: Partial<SqlitePragmas> = { ...SQLITE_PRESETS[preset].pragmas, ...overrides };
  const skipped: SkippedPragma[] = [];
  if (memory) {
    if (
      overrides.journal_mode !== undefined &&
      overrides.journal_mode !== 'memory' &&
      overrides.journal_mode !== 'off'
    ) {
      throw new SqliteConfigError(
        'pragmas.journal_mode',
        `pragmas.journal_mode must be 'memory' or 'off' for an in-memory database (${file} has no file for a WAL), but got: ${describeValue(overrides.journal_mode)}.`,
        overrides.journal_mode,
      );
    }
    if (overrides.journal_mode === undefined && merged.journal_mode !== undefined) {
      delete merged.journal_mode;
      skipped.push({
        pragma: 'journal_mode',
        reason: 'an in-memory database has no file: SQLite keeps journal_mode memory',
      });
    }
    if (merged.mmap_size !== undefined) {
      delete merged.mmap_size;
      skipped.push({ pragma: 'mmap_size', reason: 'an in-memory database has no file to map' });
    }
  }
  const pragmas: Partial<SqlitePragmas> = {};
  for (const name of PRAGMA_ORDER) {
    if (merged[name] !== undefined) {
      (pragmas as Record<string, unknown>)[name] = merged[name];
    }
  }
  const reasons: Partial<Record<SqlitePragmaName, string>> = { ...SQLITE_PRESETS[preset].reasons };
  for (const name of Object.keys(overrides) as SqlitePragmaName[]) {
    reasons[name] =
      `set by the application (the ${preset} preset says: ${SQLITE_PRESETS[preset].reasons[name] ?? 'nothing'})`;
  }
  const writes = !readonly && pragmas.query_only !== true;
  return {
    file,
    memory,
    preset,
    pragmas,
    skipped,
    reasons,
    strict,
    readonly,
    writes,
    transactions: writes ? transactions : 'deferred',
    maintenance,
    onMismatch,
  };
}

/**
 * Whether a `dbName` is an in-memory database: `:memory:`, `''` (a private temporary database) and
 * `file::memory:` / `file:…?mode=memory` URIs.
 *
 * @example
 * ```ts
 * isMemoryDatabase('file:shared?mode=memory&cache=shared'); // true
 * ```
 */
export function isMemoryDatabase(dbName: string): boolean {
  return (
    dbName === ':memory:' || dbName === '' || dbName.startsWith('file::memory:') || /[?&]mode=memory\b/.test(dbName)
  );
}

function validDbName(dbName: unknown): string {
  if (typeof dbName !== 'string') {
    throw new SqliteConfigError(
      'dbName',
      `dbName must be a string (the database file, or ':memory:'), but got: ${describeValue(dbName)}.`,
      dbName,
    );
  }
  return dbName;
}

function validPreset(preset: unknown): SqlitePresetName {
  if (preset === undefined) return 'default';
  if (typeof preset !== 'string' || !Object.hasOwn(SQLITE_PRESETS, preset)) {
    throw new SqliteConfigError(
      'preset',
      `preset must be one of ${Object.keys(SQLITE_PRESETS)
        .map((p) => `'${p}'`)
        .join(', ')}, but got: ${describeValue(preset)}.`,
      preset,
    );
  }
  return preset as SqlitePresetName;
}

function validPragmas(pragmas: unknown): Partial<SqlitePragmas> {
  if (pragmas === undefined) return {};
  if (pragmas === null || typeof pragmas !== 'object' || Array.isArray(pragmas)) {
    throw new SqliteConfigError(
      'pragmas',
      `pragmas must be an object of pragma names to values, but got: ${describeValue(pragmas)}.`,
      pragmas,
    );
  }
  for (const [name, value] of Object.entries(pragmas)) {
    if (!Object.hasOwn(PRAGMA_SPECS, name)) {
      throw new SqliteConfigError(
        `pragmas.${name}`,
        `pragmas may only set ${PRAGMA_ORDER.join(', ')}, but got: ${JSON.stringify(name)}.`,
        name,
      );
    }
    const spec = PRAGMA_SPECS[name as SqlitePragmaName];
    if (value !== undefined && !spec.valid(value)) {
      throw new SqliteConfigError(
        `pragmas.${name}`,
        `pragmas.${name} must be ${spec.expected}, but got: ${describeValue(value)}.`,
        value,
      );
    }
  }
  return Object.fromEntries(Object.entries(pragmas).filter(([, value]) => value !== undefined));
}

function validBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new SqliteConfigError(option, `${option} must be a boolean, but got: ${describeValue(value)}.`, value);
  }
  return value;
}

function validTransactions(value: unknown): 'immediate' | 'deferred' {
  if (value === undefined) return 'immediate';
  if (value !== 'immediate' && value !== 'deferred') {
    throw new SqliteConfigError(
      'transactions',
      `transactions must be 'immediate' or 'deferred', but got: ${describeValue(value)}.`,
      value,
    );
  }
  return value;
}

function validMaintenance(value: unknown): Required<SqliteMaintenanceOptions> {
  const out: Required<SqliteMaintenanceOptions> = {
    checkpointEveryMs: 10_000,
    optimizeEveryMs: 3_600_000,
    truncateOnClose: true,
  };
  if (value === undefined) return out;
  if (value === null || typeof value !== 'object') {
    throw new SqliteConfigError(
      'maintenance',
      `maintenance must be an object, but got: ${describeValue(value)}.`,
      value,
    );
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!MAINTENANCE_KEYS.has(key)) {
      throw new SqliteConfigError(
        `maintenance.${key}`,
        `maintenance has no option ${JSON.stringify(key)}; expected one of ${[...MAINTENANCE_KEYS].join(', ')}.`,
        key,
      );
    }
  }
  for (const key of ['checkpointEveryMs', 'optimizeEveryMs'] as const) {
    const ms = options[key];
    if (ms === undefined) continue;
    if (ms !== false && !(Number.isInteger(ms) && (ms as number) > 0 && (ms as number) <= MAX_TIMER_MS)) {
      throw new SqliteConfigError(
        `maintenance.${key}`,
        `maintenance.${key} must be false or an integer from 1 to ${MAX_TIMER_MS} (milliseconds), but got: ${describeValue(ms)}.`,
        ms,
      );
    }
    out[key] = ms as number | false;
  }
  out.truncateOnClose = validBoolean('maintenance.truncateOnClose', options.truncateOnClose, true);
  return out;
}

function validOnMismatch(value: unknown): ResolvedSqliteTuning['onMismatch'] {
  if (value === undefined) return warnMismatch;
  if (typeof value !== 'function') {
    throw new SqliteConfigError(
      'onMismatch',
      `onMismatch must be a function, but got: ${describeValue(value)}.`,
      value,
    );
  }
  return value as ResolvedSqliteTuning['onMismatch'];
}

function warnMismatch(file: string, mismatches: readonly PragmaMismatch[]): void {
  console.warn(`@stratum/sqlite: ${file}: ${describeMismatches(mismatches)}.`);
}
