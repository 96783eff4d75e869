/**
 * The pragmas `@stratum/sqlite` sets, with the types it accepts. Names are SQLite's own. Sizes are
 * bytes, times milliseconds; `cache_size` keeps SQLite's convention (negative: KiB, positive: pages).
 */
export interface SqlitePragmas {
  /** Milliseconds a statement waits for a lock held by another connection before SQLITE_BUSY. */
  busy_timeout: number;
  journal_mode: 'wal' | 'delete' | 'truncate' | 'persist' | 'memory' | 'off';
  synchronous: 'off' | 'normal' | 'full' | 'extra';
  foreign_keys: boolean;
  /** Bytes of the file read through memory-mapped I/O (0 turns it off). */
  mmap_size: number;
  /** Bytes the WAL (or rollback journal) file is truncated to after a checkpoint resets it (-1: never). */
  journal_size_limit: number;
  /** Page cache per connection: negative = KiB, positive = pages. */
  cache_size: number;
  temp_store: 'default' | 'file' | 'memory';
  /** WAL pages after which a commit runs a PASSIVE checkpoint (0 turns that off). */
  wal_autocheckpoint: number;
  /** Rows `PRAGMA optimize` samples per index when it runs ANALYZE (0: no limit). */
  analysis_limit: number;
  query_only: boolean;
}

/** A pragma name `@stratum/sqlite` knows. */
export type SqlitePragmaName = keyof SqlitePragmas;

/** A value of one of {@link SqlitePragmas}. */
export type SqlitePragmaValue = SqlitePragmas[SqlitePragmaName];

/**
 * The order pragmas are applied in. The busy timeout comes first, so that switching the journal mode
 * (which needs a lock) waits instead of failing; `journal_mode` before `synchronous`, because the
 * connection that switches a file to WAL otherwise reads `synchronous` back as FULL; `query_only`
 * last, since it forbids the writes the earlier ones may need.
 *
 * @example
 * ```ts
 * PRAGMA_ORDER.slice(0, 3); // ['busy_timeout', 'journal_mode', 'synchronous']
 * ```
 */
export const PRAGMA_ORDER: readonly SqlitePragmaName[] = [
  'busy_timeout',
  'journal_mode',
  'synchronous',
  'foreign_keys',
  'temp_store',
  'cache_size',
  'mmap_size',
  'journal_size_limit',
  'wal_autocheckpoint',
  'analysis_limit',
  'query_only',
];

/** Pragmas stored in the database file (the others last only as long as the connection). */
export const FILE_PRAGMAS: ReadonlySet<SqlitePragmaName> = new Set(['journal_mode']);

interface PragmaSpec {
  /** What a valid value is, for error messages: `must be ${expected}`. */
  readonly expected: string;
  readonly valid: (value: unknown) => boolean;
  /** The right-hand side of `pragma name = …`. */
  readonly toSql: (value: never) => string;
  /** The value a `pragma name` read-back row holds, in the type of {@link SqlitePragmas}. */
  readonly fromDb: (value: unknown) => SqlitePragmaValue;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function integer(min: number, max: number, unit: string): PragmaSpec {
  return {
    expected: `an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}`,
    valid: (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
    toSql: (value: number) => String(value),
    fromDb: (value) => Number(value),
  };
}

function oneOf<T extends string>(values: readonly T[]): PragmaSpec {
  return {
    expected: `one of ${values.map((v) => `'${v}'`).join(', ')}`,
    valid: (value) => typeof value === 'string' && (values as readonly string[]).includes(value),
    toSql: (value: T) => value,
    fromDb: (value) =>
      (typeof value === 'number' ? (values[value] ?? String(value)) : String(value).toLowerCase()) as SqlitePragmaValue,
  };
}

const BOOLEAN: PragmaSpec = {
  expected: 'a boolean',
  valid: (value) => typeof value === 'boolean',
  toSql: (value: boolean) => (value ? 'on' : 'off'),
  fromDb: (value) => Number(value) === 1,
};

/** Validation, SQL and read-back of each pragma. */
export const PRAGMA_SPECS: Readonly<Record<SqlitePragmaName, PragmaSpec>> = {
  busy_timeout: integer(0, 2_147_483_647, 'milliseconds'),
  journal_mode: {
    ...oneOf(['wal', 'delete', 'truncate', 'persist', 'memory', 'off']),
    fromDb: (value) => String(value).toLowerCase() as SqlitePragmas['journal_mode'],
  },
  // Read back as 0..3, in this order.
  synchronous: oneOf(['off', 'normal', 'full', 'extra']),
  foreign_keys: BOOLEAN,
  // Read back as 0..2, in this order.
  temp_store: oneOf(['default', 'file', 'memory']),
  cache_size: integer(-MAX_SAFE, MAX_SAFE, 'negative: KiB, positive: pages'),
  mmap_size: integer(0, MAX_SAFE, 'bytes'),
  journal_size_limit: integer(-1, MAX_SAFE, 'bytes, -1 for no limit'),
  wal_autocheckpoint: integer(0, 2_147_483_647, 'pages'),
  analysis_limit: integer(0, 2_147_483_647, 'rows'),
  query_only: BOOLEAN,
};

/** `pragma busy_timeout = 5000` */
export function pragmaSql(name: SqlitePragmaName, value: SqlitePragmaValue): string {
  return `pragma ${name} = ${PRAGMA_SPECS[name].toSql(value as never)}`;
}

/**
 * The `pragma` statements that set these pragmas, in {@link PRAGMA_ORDER}: for a connection
 * MikroORM does not open (a raw better-sqlite3 handle, a script, another tool).
 *
 * @example
 * ```ts
 * for (const sql of pragmaStatements(SQLITE_PRESETS.default.pragmas)) database.exec(sql);
 * // pragma busy_timeout = 5000; pragma journal_mode = wal; pragma synchronous = normal; …
 * ```
 */
export function pragmaStatements(pragmas: Readonly<Partial<SqlitePragmas>>): string[] {
  return PRAGMA_ORDER.filter((name) => pragmas[name] !== undefined).map((name) =>
    pragmaSql(name, pragmas[name] as SqlitePragmaValue),
  );
}
