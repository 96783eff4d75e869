/** A column a bulk statement writes: its quoted name and its database type (for casts). */
export interface BulkColumn {
  readonly quoted: string;
  readonly type: string;
}

/** SQL text plus the values bound to its placeholders (never inlined into the text). */
export interface BulkStatement {
  readonly sql: string;
  readonly params: unknown[];
}

/** What an upsert does when a row collides on `target`: merge the given columns, or skip the row. */
export interface ConflictClause {
  readonly target: readonly BulkColumn[];
  readonly merge: readonly BulkColumn[];
}

/**
 * How one database spells Stratum's bulk statements, and how many rows fit in one of them.
 * Differences between databases live here, as capabilities, never as `if (sqlite)` elsewhere.
 */
export interface BulkDialect {
  /** Rows one `insert`/`update` statement may carry for `columnCount` columns, at most `requested`. */
  rowsPerStatement(columnCount: number, requested: number): number;
  /** Ids one `updateSame`/`delete` statement may carry when `otherParams` other values are bound. */
  idsPerStatement(otherParams: number, requested: number): number;
  /** Whether `insertMany` may stream large inserts with `COPY ... FROM STDIN` (PostgreSQL). */
  readonly supportsCopy?: boolean;
  /** Turns a JS value into a form the driver binds (after MikroORM's own type conversion). */
  toDriverValue(value: unknown): unknown;
  insert(
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
    returning: readonly BulkColumn[] | '*',
    conflict?: ConflictClause,
  ): BulkStatement;
  /** `rows[i][0]` is the key of row i; the rest are the values of `columns`, in order. */
  updateRows(table: string, key: BulkColumn, columns: readonly BulkColumn[], rows: readonly unknown[][]): BulkStatement;
  /** Sets the same values on every row whose key is in `ids`. */
  updateSame(
    table: string,
    key: BulkColumn,
    set: readonly (readonly [BulkColumn, unknown])[],
    ids: readonly unknown[],
  ): BulkStatement;
  deleteIds(table: string, key: BulkColumn, ids: readonly unknown[]): BulkStatement;
  /**
   * Runs a statement on the driver's own handle when the dialect can do better than Kysely (SQLite
   * reuses prepared statements); `undefined` means "run it through Kysely".
   */
  readonly execute?: (statement: BulkStatement) => { rows: Record<string, unknown>[]; affected: number };
}

/** `on conflict (...) do update set ... | do nothing`: the same spelling on SQLite and PostgreSQL. */
export function conflictSql(conflict: ConflictClause | undefined): string {
  if (!conflict) {
    return '';
  }
  const target = conflict.target.map((c) => c.quoted).join(', ');
  if (conflict.merge.length === 0) {
    return ` on conflict (${target}) do nothing`;
  }
  const set = conflict.merge.map((c) => `${c.quoted} = excluded.${c.quoted}`).join(', ');
  return ` on conflict (${target}) do update set ${set}`;
}

/** `returning a, b`, or nothing. */
export function returningSql(returning: readonly BulkColumn[] | '*'): string {
  if (returning === '*') {
    return ' returning *';
  }
  return returning.length > 0 ? ` returning ${returning.map((c) => c.quoted).join(', ')}` : '';
}
