import {
  type BulkColumn,
  type BulkDialect,
  type BulkStatement,
  type ConflictClause,
  conflictSql,
  returningSql,
} from './bulk-dialect.js';

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
  readonly execute?: BulkDialect['execute'];

  /**
   * @param maxParameters the library's bound-parameter limit
   * @param database the better-sqlite3 handle of the connection, when there is one: full chunks of a
   *   bulk call share one SQL text, so one prepared statement serves them all. (Kysely prepares a new
   *   statement per query; each holds native memory until the garbage collector happens to run.)
   */
  constructor(
    readonly maxParameters: number,
    database?: SqliteDatabase,
  ) {
    if (database) {
      const statements = new StatementCache(database, 16);
      this.execute = ({ sql, params }) => {
        const statement = statements.get(sql);
        if (statement.reader) {
          const rows = statement.all(params) as Record<string, unknown>[];
          return { rows, affected: rows.length };
        }
        return { rows: [], affected: statement.run(params).changes };
      };
    }
  }

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
      `insert into ${table} (${columns.map((c) => c.quoted).join(', ')}) values ` +
      new Array(rows.length).fill(tuple).join(', ') +
      conflictSql(conflict) +
      returningSql(returning);
    return { sql, params: rows.flat() };
  }

  updateRows(
    table: string,
    key: BulkColumn,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
  ): BulkStatement {
    const names = ['k', ...columns.map((_, i) => `v${i}`)];
    const tuple = `(${names.map(() => '?').join(', ')})`;
    const set = columns.map((c, i) => `${c.quoted} = "__stratum_rows"."v${i}"`).join(', ');
    const sql =
      `with "__stratum_rows" (${names.map((n) => `"${n}"`).join(', ')}) as (values ${new Array(rows.length).fill(tuple).join(', ')}) ` +
      `update ${table} set ${set} from "__stratum_rows" where ${table}.${key.quoted} = "__stratum_rows"."k"`;
    return { sql, params: rows.flat() };
  }

  updateSame(
    table: string,
    key: BulkColumn,
    set: readonly (readonly [BulkColumn, unknown])[],
    ids: readonly unknown[],
  ): BulkStatement {
    const sql =
      `update ${table} set ${set.map(([c]) => `${c.quoted} = ?`).join(', ')} ` +
      `where ${key.quoted} in (${ids.map(() => '?').join(', ')})`;
    return { sql, params: [...set.map(([, v]) => v), ...ids] };
  }

  deleteIds(table: string, key: BulkColumn, ids: readonly unknown[]): BulkStatement {
    return { sql: `delete from ${table} where ${key.quoted} in (${ids.map(() => '?').join(', ')})`, params: [...ids] };
  }
}

/** The part of a better-sqlite3 `Database` this dialect uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

interface SqliteStatement {
  readonly reader: boolean;
  all(params: readonly unknown[]): unknown[];
  run(params: readonly unknown[]): { changes: number };
}

/** The most recently used prepared statements, by SQL text. */
class StatementCache {
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(
    private readonly database: SqliteDatabase,
    private readonly capacity: number,
  ) {}

  get(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement) {
      this.#statements.delete(sql);
    } else {
      statement = this.database.prepare(sql);
      if (this.#statements.size >= this.capacity) {
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
    }
    this.#statements.set(sql, statement);
    return statement;
  }
}
