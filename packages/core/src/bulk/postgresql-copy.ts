import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dictionary } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import type { DatabaseConnection, QueryExecutor } from 'kysely';
import { convertDriverError } from '../errors/convert-driver-error.js';
import { CopyRowCountError } from '../errors/copy-row-count-error.js';
import { MissingDependencyError } from '../errors/missing-dependency-error.js';
import type { BulkColumn, BulkDialect } from './bulk-dialect.js';
import { executeStatement, type LoggedConnection } from './bulk-writer.js';
import { baseType } from './postgresql-bulk-dialect.js';

/** A column a COPY returns: its database name (for the catalog) and its bulk column. */
export interface CopyColumn {
  readonly name: string;
  readonly bulk: BulkColumn;
}

/** A column a COPY writes: `read(row)` is its driver value in a row. */
export interface CopyWrittenColumn<R> extends CopyColumn {
  read(row: R): unknown;
}

/**
 * What {@link copyInsert} writes: each of `rows` as the values `columns` read from it (read while
 * the rows stream, so converting them overlaps with the server's work).
 */
export interface CopyInsert<R> {
  readonly table: string;
  readonly columns: readonly CopyWrittenColumn<R>[];
  /** The primary key columns, whose values come back (in input order). */
  readonly keys: readonly CopyColumn[];
  readonly rows: readonly R[];
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
 * with reserved as materialized (select nextval($1::regclass)::int as id from generate_series(1, $2)) ...
 * copy "invoice_line" ("invoice_id", "track_id", "unit_price", "quantity", "id") from stdin
 * ```
 */
export async function copyInsert<R>(
  em: SqlEntityManager,
  dialect: BulkDialect,
  insert: CopyInsert<R>,
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
  let reserved: readonly unknown[] | undefined;
  if (key) {
    reserved = await reserveKeys(em, dialect, sequence as string, key, rows.length);
    keys = reserved.map((id) => ({ [key.name]: id }));
  } else {
    // The keys as `returning` would give them: cast to the column types, parsed by the driver.
    const readers = insert.keys.map((k) => insert.columns.find((c) => c.name === k.name) as CopyWrittenColumn<R>);
    const echoed = await executeStatement(em, dialect, {
      sql:
        `select * from unnest(${insert.keys.map((k, i) => `$${i + 1}::${baseType(k.bulk)}[]`).join(', ')}) ` +
        `as "__stratum_keys" (${insert.keys.map((k) => k.bulk.quoted).join(', ')})`,
      params: readers.map((c) => rows.map((row) => c.read(row))),
    });
    keys = echoed.rows;
  }
  const columns = key ? [...insert.columns, key] : insert.columns;
  const sql = `copy ${insert.table} (${columns.map((c) => c.bulk.quoted).join(', ')}) from stdin`;
  const copied = await runCopy(em, from, sql, copyText(rows, insert.columns, reserved));
  if (copied !== rows.length) {
    throw new CopyRowCountError(insert.table, copied, rows.length);
  }
  return keys;
}

/**
 * Takes `count` values from `sequence` for `key`, in the order the sequence gave them (row i of the
 * COPY gets the i-th, so the ids follow the input order as `insert … returning` gives them). One row comes
 * back: the first value, and the whole list only when the values are not `first` to `first + count - 1`
 * (another session took values in between, the sequence steps by other than +1 or cycles), so the
 * usual case sends one number instead of `count` rows. Values keep the type the driver gives the key column.
 */
async function reserveKeys(
  em: SqlEntityManager,
  dialect: BulkDialect,
  sequence: string,
  key: CopyColumn,
  count: number,
): Promise<unknown[]> {
  const type = baseType(key.bulk);
  const result = await executeStatement(em, dialect, {
    sql:
      `with "reserved" as materialized (select "n", nextval($1::regclass)::${type} as "id" from generate_series(1, $2::int) as "n"), ` +
      `"span" as (select min("id") as "first", max("id") as "last", count(*) as "count" from "reserved") ` +
      // The list is only built (a subquery only runs) when min to max is not all of them in order: a
      // sequence that steps by other than +1 (down, say) or cycles (it can repeat values) always sends it.
      `select "first", case when "last" - "first" + 1 = "count" and (select "seqincrement" = 1 and not "seqcycle" ` +
      `from pg_sequence where "seqrelid" = $1::regclass) then null ` +
      `else (select array_agg("id" order by "n") from "reserved") end as "ids" from "span"`,
    params: [sequence, count],
  });
  const { first, ids } = result.rows[0] as { first: unknown; ids: unknown[] | null };
  if (ids) {
    return ids;
  }
  // `count` distinct integers (the sequence does not cycle) from min to max = min + count - 1: all of them.
  return consecutive(first, count);
}

/** `count` consecutive values from `first`, typed as `first` is: number, bigint or numeric string. */
function consecutive(first: unknown, count: number): unknown[] {
  const values = new Array<unknown>(count);
  if (typeof first === 'number') {
    for (let i = 0; i < count; i++) {
      values[i] = first + i;
    }
  } else {
    const start = BigInt(first as string | bigint);
    for (let i = 0; i < count; i++) {
      const value = start + BigInt(i);
      values[i] = typeof first === 'bigint' ? value : String(value);
    }
  }
  return values;
}

/**
 * Streams `chunks` into `COPY ... FROM STDIN` on the connection of the EntityManager's transaction,
 * holding it for the whole COPY (Kysely queues any other query of the transaction behind it), and
 * logs the statement through MikroORM's logger like any other. Returns the rows COPY reports.
 * What the server or the driver throws reaches the caller as MikroORM's exception for it
 * (`convertDriverError`); what producing `chunks` throws (a value's own conversion) as it is.
 */
async function runCopy(em: SqlEntityManager, from: CopyFrom, text: string, chunks: Iterable<string>): Promise<number> {
  let refused: { error: unknown } | undefined;
  function* source(): Generator<string> {
    try {
      yield* chunks;
    } catch (error) {
      refused = { error };
      throw error;
    }
  }
  try {
    const connection = em.getDriver().getConnection('write') as LoggedConnection;
    await connection.ensureConnection();
    const sql = em.config.get('onQuery')(text, []);
    const client = (
      em.getTransactionContext<{ getExecutor(): QueryExecutor }>() ?? connection.getClient()
    ).getExecutor();
    const result = await connection.executeQuery(
      sql,
      () =>
        client.provideConnection(async (db: DatabaseConnection) => {
          const stream = from(sql);
          // Piped before it is submitted: the stream is corked until the server answers CopyInResponse,
          // and an early error (no such table) then has a listener.
          const done = pipeline(Readable.from(source()), stream);
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
  } catch (error) {
    // The server then only reports the COPY the client aborted: the rows' own error is the cause.
    if (refused) {
      throw refused.error;
    }
    throw convertDriverError(em, error);
  }
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

/**
 * Rows as COPY text format, about 64 KiB per chunk: the values `columns` read from each row, then
 * `last[i]`, when given, as one more field of row i.
 */
export function* copyText<R>(
  rows: readonly R[],
  columns: readonly Pick<CopyWrittenColumn<R>, 'read'>[],
  last?: readonly unknown[],
): Generator<string> {
  let buffer = '';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as R;
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      const field = copyField((columns[i] as CopyWrittenColumn<R>).read(row));
      line += i === 0 ? field : `\t${field}`;
    }
    if (last) {
      line += columns.length === 0 ? copyField(last[r]) : `\t${copyField(last[r])}`;
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
