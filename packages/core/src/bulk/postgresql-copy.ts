import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dictionary } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { DatabaseConnection, QueryExecutor } from 'kysely';
import { MissingDependencyError } from '../errors/missing-dependency-error.js';
import type { BulkColumn, BulkDialect } from './bulk-dialect.js';
import { executeStatement, type LoggedConnection } from './bulk-writer.js';
import { baseType } from './postgresql-bulk-dialect.js';

/** A column a COPY writes or returns: its database name (for the catalog) and its bulk column. */
export interface CopyColumn {
  readonly name: string;
  readonly bulk: BulkColumn;
}

/** What {@link copyInsert} writes: `rows[i][j]` is the driver value of `columns[j]` in row i. */
export interface CopyInsert {
  readonly table: string;
  readonly columns: readonly CopyColumn[];
  /** The primary key columns, whose values come back (in input order). */
  readonly keys: readonly CopyColumn[];
  readonly rows: readonly unknown[][];
}

/** The part of a pg-copy-streams `CopyStreamQuery` used here: a pg `Submittable` that is a Writable. */
type CopyStream = Writable & { readonly rowCount: number; connection?: unknown };
type CopyFrom = (sql: string) => CopyStream;

let copyFrom: Promise<CopyFrom | undefined> | undefined;

/**
 * Inserts rows with `COPY ... FROM STDIN` (text format) on the EntityManager's own connection and
 * transaction, and returns the primary keys in input order, as rows keyed by column name (what
 * `insert ... returning` gives). Keys the rows do not carry are reserved first from the column's
 * sequence (`nextval` over `generate_series`, serial and identity columns alike), then written
 * explicitly by the COPY.
 *
 * Returns `undefined`, having written nothing, when the statement path must do it instead:
 * pg-copy-streams is not installed (unless `required`), a key the rows leave out has no sequence
 * (a uuid default, say), or the rows write a `GENERATED ALWAYS` identity column (which only
 * `insert` refuses; COPY would silently accept it).
 *
 * @example
 * ```sql
 * select nextval($1::regclass)::int as "id" from generate_series(1, $2)  -- ids, in order
 * copy "invoice_line" ("invoice_id", "track_id", "unit_price", "quantity", "id") from stdin
 * ```
 */
export async function copyInsert(
  em: SqlEntityManager,
  dialect: BulkDialect,
  insert: CopyInsert,
  required: boolean,
): Promise<Dictionary[] | undefined> {
  const written = new Set(insert.columns.map((c) => c.name));
  const missing = insert.keys.filter((k) => !written.has(k.name));
  if (missing.length > 1 || (missing.length === 1 && insert.keys.length > 1)) {
    return undefined;
  }
  const from = await loadCopyFrom(required);
  if (!from) {
    return undefined;
  }
  const key = missing[0];
  const plan = await executeStatement(em, dialect, {
    sql:
      'select pg_get_serial_sequence($1, $2) as "sequence", (select count(*)::int from pg_attribute ' +
      `where attrelid = $3::regclass and attidentity = 'a' and attname = any($4::text[])) as "always"`,
    params: [insert.table, key?.name ?? null, insert.table, [...written]],
  });
  const { sequence, always } = plan.rows[0] as { sequence: string | null; always: number };
  if (always > 0 || (key && !sequence)) {
    return undefined;
  }
  const rows = insert.rows;
  let keys: Dictionary[];
  let columns = insert.columns;
  let last: readonly unknown[] | undefined;
  if (key) {
    const reserved = await executeStatement(em, dialect, {
      sql: `select nextval($1::regclass)::${baseType(key.bulk)} as ${key.bulk.quoted} from generate_series(1, $2)`,
      params: [sequence, rows.length],
    });
    keys = reserved.rows;
    columns = [...columns, key];
    last = keys.map((k) => k[key.name]);
  } else {
    // The keys as `returning` would give them: cast to the column types, parsed by the driver.
    const at = insert.keys.map((k) => insert.columns.findIndex((c) => c.name === k.name));
    const echoed = await executeStatement(em, dialect, {
      sql:
        `select * from unnest(${insert.keys.map((k, i) => `$${i + 1}::${baseType(k.bulk)}[]`).join(', ')}) ` +
        `as "__stratum_keys" (${insert.keys.map((k) => k.bulk.quoted).join(', ')})`,
      params: at.map((j) => rows.map((row) => row[j])),
    });
    keys = echoed.rows;
  }
  const sql = `copy ${insert.table} (${columns.map((c) => c.bulk.quoted).join(', ')}) from stdin`;
  const copied = await runCopy(em, from, sql, copyText(rows, last));
  if (copied !== rows.length) {
    throw new Error(`COPY wrote ${copied} rows of ${rows.length}: the table's triggers or rules changed the rows.`);
  }
  return keys;
}

/**
 * Streams `chunks` into `COPY ... FROM STDIN` on the connection of the EntityManager's transaction,
 * holding it for the whole COPY (Kysely queues any other query of the transaction behind it), and
 * logs the statement through MikroORM's logger like any other. Returns the rows COPY reports.
 */
async function runCopy(em: SqlEntityManager, from: CopyFrom, text: string, chunks: Iterable<string>): Promise<number> {
  const connection = em.getDriver().getConnection('write') as LoggedConnection;
  await connection.ensureConnection();
  const sql = em.config.get('onQuery')(text, []);
  const client = (em.getTransactionContext<{ getExecutor(): QueryExecutor }>() ?? connection.getClient()).getExecutor();
  const result = await connection.executeQuery(
    sql,
    () =>
      client.provideConnection(async (db: DatabaseConnection) => {
        const stream = from(sql);
        // Piped before it is submitted: the stream is corked until the server answers CopyInResponse,
        // and an early error (no such table) then has a listener.
        const done = pipeline(Readable.from(chunks), stream);
        try {
          // Kysely's PostgresConnection hands `sql` to pg's `client.query()`, which runs any object with
          // a `submit()` method as the active query: pg-copy-streams' stream, on this very client.
          await db.executeQuery({ sql: stream, parameters: [] } as never);
        } catch (error) {
          done.catch(() => {});
          throw error;
        }
        await done;
        return { rows: [], affectedRows: stream.rowCount };
      }),
    { query: sql, params: [] },
  );
  return result.affectedRows;
}

/**
 * pg-copy-streams' `from`, loaded on first use (`specifier` is for tests); `undefined` when the
 * package is not installed and not `required`, a `MissingDependencyError` when it is required.
 */
export function loadCopyFrom(required: boolean, specifier = 'pg-copy-streams'): Promise<CopyFrom | undefined> {
  const load = () =>
    importOptional(specifier).then((module) => {
      const exports = module as { from?: CopyFrom; default?: { from?: CopyFrom } } | undefined;
      return exports?.from ?? exports?.default?.from;
    });
  if (specifier === 'pg-copy-streams' && !copyFrom) {
    copyFrom = load();
  }
  const loaded = specifier === 'pg-copy-streams' ? (copyFrom as Promise<CopyFrom | undefined>) : load();
  return loaded.then((from) => {
    if (!from && required) {
      throw new MissingDependencyError(specifier, 'insertMany() with copyThreshold on PostgreSQL (COPY)');
    }
    return from;
  });
}

/** Imports an optional package: `undefined` when it is not installed, any other failure thrown. */
export async function importOptional(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return undefined;
    }
    throw error;
  }
}

/** Rows as COPY text format, about 64 KiB per chunk; `last[i]`, when given, is one more field of row i. */
export function* copyText(rows: readonly (readonly unknown[])[], last?: readonly unknown[]): Generator<string> {
  let buffer = '';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as readonly unknown[];
    let line = '';
    for (let i = 0; i < row.length; i++) {
      line += i === 0 ? copyField(row[i]) : `\t${copyField(row[i])}`;
    }
    if (last) {
      line += row.length === 0 ? copyField(last[r]) : `\t${copyField(last[r])}`;
    }
    buffer += `${line}\n`;
    if (buffer.length >= 65_536) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer.length > 0) {
    yield buffer;
  }
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One COPY text field: `\N` for null, else the text pg would send for the same value as a bound
 * parameter (`textOf`), with backslash, tab, newline and carriage return escaped.
 */
export function copyField(value: unknown): string {
  if (value == null) {
    return '\\N';
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  const text = textOf(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c] as string) : text;
}

/**
 * The text form of a value as node-postgres prepares a bound parameter (pg's `prepareValue`), so
 * COPY stores what `insert ... unnest($1::type[])` stores: `true`/`false`, dates in local time with
 * their offset, bytes as `\x` hex, arrays as array literals, other objects as JSON.
 */
function textOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) {
    return String(value);
  }
  if (ArrayBuffer.isView(value)) {
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
  if (value instanceof Date) {
    return dateText(value);
  }
  if (Array.isArray(value)) {
    return arrayLiteral(value);
  }
  const custom = value as { toPostgres?: (prepare: (v: unknown) => unknown) => unknown };
  if (typeof custom.toPostgres === 'function') {
    const prepared = custom.toPostgres((v) => (v == null ? null : textOf(v)));
    return prepared == null ? String(prepared) : textOf(prepared);
  }
  return JSON.stringify(value);
}

/** pg's `arrayString`: `{1,NULL,"a \"b\""}`, nested arrays nested, bytes as `\\x…`. */
function arrayLiteral(values: readonly unknown[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const item = values[i];
    if (i > 0) {
      literal += ',';
    }
    if (item == null) {
      literal += 'NULL';
    } else if (Array.isArray(item)) {
      literal += arrayLiteral(item);
    } else if (ArrayBuffer.isView(item)) {
      literal += `\\${textOf(item)}`;
    } else {
      literal += `"${textOf(item).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    }
  }
  return `${literal}}`;
}

/** pg's `dateToString`: local time with its UTC offset, `2026-01-02T03:04:05.006+01:00` (` BC` before year 1). */
function dateText(date: Date): string {
  let year = date.getFullYear();
  const bc = year < 1;
  if (bc) {
    year = Math.abs(year) + 1;
  }
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  let offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  offset = Math.abs(offset);
  return (
    `${pad(year, 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}${bc ? ' BC' : ''}`
  );
}
