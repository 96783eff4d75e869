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

function arrayCast(column: BulkColumn): string {
  return `${baseType(column)}[]`;
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
    const sql =
      `insert into ${table} (${columns.map((c) => c.quoted).join(', ')}) ` +
      `select * from unnest(${columns.map((c, i) => `$${i + 1}::${arrayCast(c)}`).join(', ')})` +
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
      `update ${table} set ${columns.map((c, i) => `${c.quoted} = "__stratum_rows"."v${i}"`).join(', ')} ` +
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
