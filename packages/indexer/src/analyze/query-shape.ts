/** How a predicate constrains a column (or an expression over one table's columns). */
export type PredicateKind =
  /** `col = value` */
  | 'equality'
  /** `col in (...)`, `col = any($1)` */
  | 'in'
  /** `<`, `<=`, `>`, `>=`, `between` */
  | 'range'
  /** `like 'x%'`: a prefix, which a btree serves */
  | 'like-prefix'
  /** `ilike '%x%'` / `like '%x%'`: a substring, which only a trigram index serves */
  | 'contains'
  /** `is null` */
  | 'is-null'
  /** `is not null` */
  | 'is-not-null';

/** A column of the table, or an expression over its columns (`lower("email")`). */
export interface KeyPart {
  /** The column name, when the part is a bare column. */
  readonly column?: string;
  /** The expression as SQL over unqualified, quoted columns, when it is not a bare column. */
  readonly expression?: string;
  /** The columns an expression reads. */
  readonly columns: readonly string[];
}

/** One predicate of a query on one table. */
export interface Predicate {
  readonly kind: PredicateKind;
  readonly on: KeyPart;
  /**
   * Set when the compared value is a literal written in the SQL (not a parameter) or the predicate is
   * an `is [not] null`: the predicate as SQL, usable as a partial index's `WHERE` (`"deleted_at" is null`).
   */
  readonly constant?: string;
}

/** A sort key: a column or expression, and its direction. */
export interface SortKey {
  readonly on: KeyPart;
  readonly direction: 'asc' | 'desc';
  readonly nulls?: 'first' | 'last';
}

/** What one query does with one table it reads (one per alias: a self-join gives two). */
export interface TableUsage {
  readonly table: string;
  readonly alias: string;
  readonly predicates: readonly Predicate[];
  /** Columns compared with another table's columns (join conditions, correlated subqueries). */
  readonly joinColumns: readonly string[];
  /** The query's ORDER BY when every key is on this table (else empty). */
  readonly orderBy: readonly SortKey[];
  readonly groupBy: readonly KeyPart[];
  /** Columns the query reads from the table; `'*'` when it selects all of them. */
  readonly columnsRead: readonly string[] | '*';
}

/** A statement of the workload, analysed. */
export interface AnalyzedQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly calls: number;
  readonly source: string;
  readonly kind: 'select' | 'insert' | 'update' | 'delete' | 'other';
  /** Tables it writes (the target of insert / update / delete). */
  readonly writes: readonly string[];
  /** The columns an UPDATE sets (an index on one of them makes the update maintain it). */
  readonly updatedColumns: readonly string[];
  readonly usages: readonly TableUsage[];
  /** It has a LIMIT (so an index in ORDER BY order can stop early). */
  readonly limited: boolean;
}

/** A statement the parser refused: reported, the others still analysed. */
export interface UnparsedStatement {
  readonly sql: string;
  readonly source: string;
  readonly calls: number;
  readonly reason: string;
}

/** The result of analysing a workload. */
export interface WorkloadAnalysis {
  readonly queries: readonly AnalyzedQuery[];
  readonly unparsed: readonly UnparsedStatement[];
}

/** A stable text of a key part, for comparing and naming. */
export function keyPartText(part: KeyPart): string {
  return part.column !== undefined ? quoteIdent(part.column) : `(${part.expression})`;
}

/**
 * Quotes a PostgreSQL identifier: always double quotes, inner quotes doubled, so any name is safe.
 *
 * @example
 * ```ts
 * quoteIdent('say "hi"'); // '"say ""hi"""'
 * ```
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
