import {
  type BulkColumn,
  type BulkDialect,
  type BulkStatement,
  type ConflictClause,
  conflictSql,
  returningSql,
} from './bulk-dialect.js';

/** Array casts need the base type: `serial` is only DDL sugar for `int` plus a sequence. */
const SERIAL_TYPES: Record<string, string> = { serial: 'int', bigserial: 'bigint', smallserial: 'smallint' };

/** The column's type as a cast target (`serial` → `int`). */
export function baseType(column: BulkColumn): string {
  return SERIAL_TYPES[column.type.toLowerCase()] ?? column.type;
}

/** Types whose length an explicit cast cuts a longer value to (by name), and the same type without a length. */
const UNBOUNDED: Record<string, string> = {
  varchar: 'varchar',
  'character varying': 'varchar',
  char: 'bpchar',
  character: 'bpchar',
  bpchar: 'bpchar',
  bit: 'varbit',
  varbit: 'varbit',
  'bit varying': 'varbit',
};

/** Whether the column holds arrays (`text[]`, `int[]`...). */
function isArrayColumn(column: BulkColumn): boolean {
  return column.type.trim().endsWith(']');
}

/**
 * The element type of a column's bound array. Without the column's length: an explicit cast to
 * `varchar(40)` silently cuts a longer text, while the assignment to the column refuses it (22001)
 * as `em.flush()`'s insert does. `text` for an array column: `unnest` flattens a `text[][]` into its
 * elements, so each row's array is bound as its array literal (what MikroORM's `ArrayType` gives)
 * and cast back to the column type per row ({@link rowValue}).
 */
function elementType(column: BulkColumn): string {
  return isArrayColumn(column) ? 'text' : unbounded(baseType(column));
}

/** `varchar(40)` → `varchar`, `char(3)[]` → `bpchar[]`: the type without the length a cast cuts to. */
function unbounded(type: string): string {
  const [, name = type, dimensions = ''] = /^(.*?)((?:\s*\[\s*\d*\s*\])*)$/.exec(type.trim()) ?? [];
  const sized = /^([a-z ]+?)\s*\(\s*\d+\s*\)$/i.exec(name);
  return `${(sized && UNBOUNDED[(sized[1] as string).toLowerCase()]) ?? name}${dimensions}`;
}

function arrayCast(column: BulkColumn): string {
  return `${elementType(column)}[]`;
}

/** A row's value of `column` from the unnested `"__stratum_rows"."<name>"`, cast back for array columns. */
function rowValue(column: BulkColumn, name: string): string {
  const value = `"__stratum_rows"."${name}"`;
  return isArrayColumn(column) ? `${value}::${unbounded(baseType(column))}` : value;
}

/**
 * PostgreSQL: one bound array per column, expanded server side by `unnest`, so a statement binds as
 * many parameters as it has columns (far below the protocol's 65535), whatever its row count.
 *
 * @example
 * ```sql
 * insert into "invoice_line" ("id", "invoice_id") select * from unnest($1::int[], $2::int[]) returning "id"
 * ```
 */
export class PostgreSqlBulkDialect implements BulkDialect {
  static readonly maxParameters = 65535;
  readonly supportsCopy = true;

  rowsPerStatement(_columnCount: number, requested: number): number {
    return Math.max(1, requested);
  }

  idsPerStatement(_otherParams: number, requested: number): number {
    return Math.max(1, requested);
  }

  toDriverValue(value: unknown): unknown {
    return value === undefined ? null : value;
  }

  insert(
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
    returning: readonly BulkColumn[] | '*',
    conflict?: ConflictClause,
  ): BulkStatement {
    const unnest = `unnest(${columns.map((c, i) => `$${i + 1}::${arrayCast(c)}`).join(', ')})`;
    // Array columns are cast back per row; other columns come out of unnest as they go in.
    const select = columns.some(isArrayColumn)
      ? `select ${columns.map((c, i) => rowValue(c, `c${i}`)).join(', ')} from ${unnest} as "__stratum_rows" (${columns.map((_, i) => `"c${i}"`).join(', ')})`
      : `select * from ${unnest}`;
    const sql =
      `insert into ${table} (${columns.map((c) => c.quoted).join(', ')}) ${select}` +
      conflictSql(conflict) +
      returningSql(returning);
    return { sql, params: transpose(rows, columns.length) };
  }

  updateRows(
    table: string,
    key: BulkColumn,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
  ): BulkStatement {
    const all = [key, ...columns];
    const names = ['k', ...columns.map((_, i) => `v${i}`)];
    const sql =
      `update ${table} set ${columns.map((c, i) => `${c.quoted} = ${rowValue(c, `v${i}`)}`).join(', ')} ` +
      `from unnest(${all.map((c, i) => `$${i + 1}::${arrayCast(c)}`).join(', ')}) as "__stratum_rows" (${names.map((n) => `"${n}"`).join(', ')}) ` +
      `where ${table}.${key.quoted} = "__stratum_rows"."k"`;
    return { sql, params: transpose(rows, all.length) };
  }

  updateSame(
    table: string,
    key: BulkColumn,
    set: readonly (readonly [BulkColumn, unknown])[],
    ids: readonly unknown[],
  ): BulkStatement {
    const sql =
      `update ${table} set ${set.map(([c], i) => `${c.quoted} = $${i + 1}`).join(', ')} ` +
      `where ${key.quoted} = any($${set.length + 1}::${arrayCast(key)})`;
    return { sql, params: [...set.map(([, v]) => v), [...ids]] };
  }

  deleteIds(table: string, key: BulkColumn, ids: readonly unknown[]): BulkStatement {
    return { sql: `delete from ${table} where ${key.quoted} = any($1::${arrayCast(key)})`, params: [[...ids]] };
  }
}

/** Row-major values to one array per column. */
function transpose(rows: readonly unknown[][], width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => new Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as unknown[];
    for (let c = 0; c < width; c++) {
      (columns[c] as unknown[])[r] = row[c];
    }
  }
  return columns;
}
