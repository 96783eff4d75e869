import { type BulkColumn, type BulkDialect, type BulkStatement, type ConflictClause, conflictSql, returningSql } from './bulk-dialect.js';

/**
 * SQLite: multi-row `values (?, ?), (?, ?)` with bound parameters, sized to the library's
 * `SQLITE_MAX_VARIABLE_NUMBER` (32766 for the better-sqlite3 build; 999 on old builds).
 * The SQL text stays small (a few bytes per value), far below `SQLITE_MAX_SQL_LENGTH`.
 *
 * @example
 * ```sql
 * insert into "invoice_line" ("id", "invoice_id", "track_id") values (?, ?, ?), (?, ?, ?) returning "id"
 * ```
 */
export class SqliteBulkDialect implements BulkDialect {
  constructor(readonly maxParameters: number) {}

  rowsPerStatement(columnCount: number, requested: number): number {
    return Math.max(1, Math.min(requested, Math.floor(this.maxParameters / Math.max(1, columnCount))));
  }

  idsPerStatement(otherParams: number, requested: number): number {
    return Math.max(1, Math.min(requested, this.maxParameters - otherParams));
  }

  toDriverValue(value: unknown): unknown {
    if (value === undefined) {
      return null;
    }
    if (typeof value === 'boolean') {
      return value ? 1 : 0;
    }
    if (value instanceof Date) {
      return value.getTime();
    }
    if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      return JSON.stringify(value);
    }
    return value;
  }

  insert(
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
    returning: readonly BulkColumn[] | '*',
    conflict?: ConflictClause,
  ): BulkStatement {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const sql =
      `insert into ${table} (${columns.map(c => c.quoted).join(', ')}) values ` +
      new Array(rows.length).fill(tuple).join(', ') +
      conflictSql(conflict) +
      returningSql(returning);
    return { sql, params: rows.flat() };
  }

  updateRows(table: string, key: BulkColumn, columns: readonly BulkColumn[], rows: readonly unknown[][]): BulkStatement {
    const names = ['k', ...columns.map((_, i) => `v${i}`)];
    const tuple = `(${names.map(() => '?').join(', ')})`;
    const set = columns.map((c, i) => `${c.quoted} = "__stratum_rows"."v${i}"`).join(', ');
    const sql =
      `with "__stratum_rows" (${names.map(n => `"${n}"`).join(', ')}) as (values ${new Array(rows.length).fill(tuple).join(', ')}) ` +
      `update ${table} set ${set} from "__stratum_rows" where ${table}.${key.quoted} = "__stratum_rows"."k"`;
    return { sql, params: rows.flat() };
  }

  updateSame(table: string, key: BulkColumn, set: readonly (readonly [BulkColumn, unknown])[], ids: readonly unknown[]): BulkStatement {
    const sql =
      `update ${table} set ${set.map(([c]) => `${c.quoted} = ?`).join(', ')} ` +
      `where ${key.quoted} in (${ids.map(() => '?').join(', ')})`;
    return { sql, params: [...set.map(([, v]) => v), ...ids] };
  }

  deleteIds(table: string, key: BulkColumn, ids: readonly unknown[]): BulkStatement {
    return { sql: `delete from ${table} where ${key.quoted} in (${ids.map(() => '?').join(', ')})`, params: [...ids] };
  }
}
