import { createHash } from 'node:crypto';
import { type KeyPart, keyPartText, quoteIdent } from '../analyze/query-shape.js';

/** One key of a proposed index. */
export interface CandidateKey {
  readonly part: KeyPart;
  readonly direction?: 'desc';
  readonly nulls?: 'first' | 'last';
  /** An operator class: `gin_trgm_ops` (trigram GIN), `text_pattern_ops` (LIKE prefix under a non-C collation). */
  readonly opclass?: string;
}

/** What kind of index a candidate is (for docs, reasons and naming). */
export type CandidateKind = 'btree' | 'expression' | 'partial' | 'covering' | 'trigram';

/** A proposed index, before evaluation. */
export interface IndexCandidate {
  readonly table: string;
  readonly schema: string;
  readonly method: 'btree' | 'gin';
  readonly keys: readonly CandidateKey[];
  /** Covering columns (`INCLUDE`). */
  readonly include: readonly string[];
  /** A partial index's predicate (SQL over unqualified quoted columns), or null. */
  readonly predicate: string | null;
  readonly kinds: readonly CandidateKind[];
  /** Deterministic name: derived from the definition (table, keys, method, include, predicate) only. */
  readonly name: string;
}

/** The key list as SQL: `"a", lower("email") desc nulls last, "name" gin_trgm_ops`. */
export function keysSql(keys: readonly CandidateKey[]): string {
  return keys
    .map((key) => {
      let sql = keyPartText(key.part);
      if (key.opclass) sql += ` ${key.opclass}`;
      if (key.direction) sql += ` ${key.direction}`;
      if (key.nulls) sql += ` nulls ${key.nulls}`;
      return sql;
    })
    .join(', ');
}

/**
 * The `CREATE INDEX` statement of a candidate (every identifier quoted).
 *
 * @example
 * ```ts
 * createIndexSql(candidate, { concurrently: true });
 * // 'create index concurrently if not exists "invoice_customer_id_invoice_date_3f2a9c1b_idx" on "public"."invoice" ("customer_id", "invoice_date" desc)'
 * ```
 */
export function createIndexSql(
  candidate: Omit<IndexCandidate, 'kinds'>,
  options: { concurrently?: boolean; name?: boolean } = {},
): string {
  const { concurrently = false, name = true } = options;
  let sql = `create index${concurrently ? ' concurrently' : ''}${name ? ` if not exists ${quoteIdent(candidate.name)}` : ''}`;
  sql += ` on ${quoteIdent(candidate.schema)}.${quoteIdent(candidate.table)}`;
  if (candidate.method !== 'btree') sql += ` using ${candidate.method}`;
  sql += ` (${keysSql(candidate.keys)})`;
  if (candidate.include.length > 0) sql += ` include (${candidate.include.map(quoteIdent).join(', ')})`;
  if (candidate.predicate) sql += ` where ${candidate.predicate}`;
  return sql;
}

/** An identity of the definition (two candidates with the same one are the same index). */
export function candidateIdentity(candidate: Omit<IndexCandidate, 'kinds' | 'name'>): string {
  return JSON.stringify([
    candidate.schema,
    candidate.table,
    candidate.method,
    keysSql(candidate.keys),
    candidate.include,
    candidate.predicate,
  ]);
}

/**
 * A deterministic index name from the definition: `<table>_<keys>[_<method>][_partial]`, reduced to
 * `[a-z0-9_]` and 48 characters, then 8 hex digits of the definition's SHA-1 (so two definitions never
 * share a name, however hostile their identifiers), then `_idx`: at most 61 characters (PostgreSQL: 63).
 */
export function candidateName(candidate: Omit<IndexCandidate, 'kinds' | 'name'>): string {
  const parts = [
    candidate.table,
    ...candidate.keys.map((key) => key.part.column ?? `${key.part.columns.join('_')}_expr`),
    candidate.method === 'btree' ? '' : candidate.method,
    candidate.include.length > 0 ? 'incl' : '',
    candidate.predicate ? 'partial' : '',
  ].filter(Boolean);
  const readable =
    parts
      .join('_')
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_|_$/g, '')
      .slice(0, 48)
      .replace(/_$/, '') || 'index';
  const hash = createHash('sha1').update(candidateIdentity(candidate)).digest('hex').slice(0, 8);
  return `${readable}_${hash}_idx`;
}
