import type { AnalyzedQuery, KeyPart, Predicate, TableUsage } from '../analyze/query-shape.js';
import { keyPartText } from '../analyze/query-shape.js';
import type { ExistingIndex, PostgresSchema } from '../postgres/introspect-postgres.js';
import {
  type CandidateKey,
  type CandidateKind,
  candidateIdentity,
  candidateName,
  type IndexCandidate,
} from './index-candidate.js';

/** Most key columns a candidate gets (wider btrees rarely pay for their size). */
const MAX_KEYS = 4;
/** Most INCLUDE columns of a covering candidate. */
const MAX_INCLUDE = 4;

/** A candidate and the queries whose analysis proposed it. */
export interface ProposedCandidate {
  readonly candidate: IndexCandidate;
  /** Indexes into the analysis' `queries`. */
  readonly proposedBy: readonly number[];
}

/**
 * Proposes indexes per query, then merges them across queries (one candidate per distinct
 * definition, with every query that proposed it): equality columns first, the most selective first
 * (`pg_stats`); then the ORDER BY columns when the query has a LIMIT (the index returns rows in order and
 * the scan stops early); else one range column (or the LIKE prefix); expression keys as they are
 * written (`lower("email")`); a partial variant when predicates compare with literals or `IS NULL`; a
 * covering (`INCLUDE`) variant when the query reads few columns; a GIN trigram index for `ILIKE '%x%'`
 * (only when `pg_trgm` can be installed). A candidate an existing valid index already serves (the
 * same keys, or a left prefix of its keys, same method, no predicate or the same one) is dropped.
 *
 * @example
 * ```ts
 * const candidates = generateCandidates(analysis.queries, schema);
 * candidates.map((c) => createIndexSql(c.candidate));
 * ```
 */
export function generateCandidates(queries: readonly AnalyzedQuery[], schema: PostgresSchema): ProposedCandidate[] {
  const byIdentity = new Map<string, { candidate: IndexCandidate; proposedBy: Set<number> }>();
  const constancy = constantAcrossWorkload(queries);
  queries.forEach((query, queryIndex) => {
    for (const usage of query.usages) {
      for (const draft of candidatesOf(query, usage, schema, constancy)) {
        if (draft.keys.length === 0) continue;
        const table = schema.tables.get(usage.table);
        const shaped = { ...draft, schema: table?.schema ?? 'public', keys: draft.keys.slice(0, MAX_KEYS) };
        if (schema.indexes.some((index) => servesCandidate(index, shaped))) continue;
        const identity = candidateIdentity(shaped);
        const entry = byIdentity.get(identity) ?? {
          candidate: { ...shaped, name: candidateName(shaped) },
          proposedBy: new Set<number>(),
        };
        entry.proposedBy.add(queryIndex);
        byIdentity.set(identity, entry);
      }
    }
  });
  return [...byIdentity.values()].map((entry) => ({ candidate: entry.candidate, proposedBy: [...entry.proposedBy] }));
}

type Draft = Omit<IndexCandidate, 'name' | 'schema'>;

/**
 * Per table and key part, the one constant every query of the workload compares it with; a key part
 * also compared with a parameter (or with two different constants) maps to undefined.
 */
function constantAcrossWorkload(queries: readonly AnalyzedQuery[]): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const query of queries) {
    for (const usage of query.usages) {
      for (const predicate of usage.predicates) {
        const key = JSON.stringify([usage.table, keyPartText(predicate.on)]);
        const value = predicate.constant;
        if (!found.has(key)) found.set(key, value);
        else if (found.get(key) !== value) found.set(key, undefined);
      }
    }
  }
  return found;
}

function candidatesOf(
  query: AnalyzedQuery,
  usage: TableUsage,
  schema: PostgresSchema,
  constancy: ReadonlyMap<string, string | undefined>,
): Draft[] {
  const drafts: Draft[] = [];
  const table = usage.table;
  const distinct = (part: KeyPart) => distinctOf(schema, table, part);
  const lookups = unique(
    usage.predicates.filter((p) => p.kind === 'equality' || p.kind === 'in'),
    (p) => keyPartText(p.on),
  ).sort((a, b) => distinct(b.on) - distinct(a.on));
  const ranges = unique(
    usage.predicates.filter((p) => p.kind === 'range' || p.kind === 'like-prefix'),
    (p) => keyPartText(p.on),
  ).sort((a, b) => distinct(b.on) - distinct(a.on));
  const kindsOf = (keys: readonly CandidateKey[], extra: CandidateKind[] = []): CandidateKind[] => [
    ...(keys.some((key) => key.part.expression !== undefined) ? (['expression'] as const) : (['btree'] as const)),
    ...extra,
  ];
  const eqKeys = lookups.map((p): CandidateKey => ({ part: p.on }));
  const push = (keys: CandidateKey[], extra: Partial<Draft> = {}) => {
    if (keys.length === 0) return;
    drafts.push({ table, method: 'btree', keys, include: [], predicate: null, kinds: kindsOf(keys), ...extra });
  };

  if (eqKeys.length > 0) push(eqKeys);
  const orderKeys = query.limited ? sortKeys(usage) : [];
  if (orderKeys.length > 0 && lookups.every((p) => p.kind === 'equality')) {
    push([...eqKeys, ...orderKeys.filter((key) => !eqKeys.some((eq) => sameKey(eq, key)))]);
  }
  const [range] = ranges;
  if (range) push([...eqKeys, rangeKey(range, schema, table)]);
  for (const column of usage.joinColumns) {
    const joinKey: CandidateKey = { part: { column, columns: [column] } };
    if (!eqKeys.some((key) => sameKey(key, joinKey))) push([joinKey, ...eqKeys]);
  }

  // Partial: literal predicates move into WHERE, the rest stays the key.
  const constants = usage.predicates.filter(
    (p) => p.constant !== undefined && constancy.get(JSON.stringify([table, keyPartText(p.on)])) === p.constant,
  );
  if (constants.length > 0) {
    const constantParts = new Set(constants.map((p) => keyPartText(p.on)));
    const rest = eqKeys.filter((key) => !constantParts.has(keyPartText(key.part)));
    const tail = range && !constantParts.has(keyPartText(range.on)) ? [rangeKey(range, schema, table)] : orderKeys;
    const keys = [...rest, ...tail.filter((key) => !rest.some((eq) => sameKey(eq, key)))];
    const predicate = unique(constants, (p) => p.constant as string)
      .map((p) => p.constant as string)
      .join(' and ');
    if (keys.length > 0) push(keys, { predicate, kinds: kindsOf(keys, ['partial']) });
  }

  // Covering: the columns read that the widest key above leaves out, when few.
  const widest = drafts.filter((d) => d.predicate === null).sort((a, b) => b.keys.length - a.keys.length)[0];
  if (widest && usage.columnsRead !== '*') {
    const keyColumns = new Set(widest.keys.flatMap((key) => (key.part.column ? [key.part.column] : [])));
    const include = usage.columnsRead.filter((column) => !keyColumns.has(column));
    if (include.length > 0 && include.length <= MAX_INCLUDE) {
      drafts.push({ ...widest, include: [...include].sort(), kinds: [...widest.kinds, 'covering'] });
    }
  }

  // Substring search: a trigram GIN index, when pg_trgm is there or installable.
  if (schema.extensions.has('pg_trgm') || schema.availableExtensions.has('pg_trgm')) {
    for (const predicate of usage.predicates.filter((p) => p.kind === 'contains')) {
      drafts.push({
        table,
        method: 'gin',
        keys: [{ part: predicate.on, opclass: 'gin_trgm_ops' }],
        include: [],
        predicate: null,
        kinds: ['trigram'],
      });
    }
  }
  return drafts;
}

/** ORDER BY keys of the usage as index keys: plain ascending when a backward scan serves them. */
function sortKeys(usage: TableUsage): CandidateKey[] {
  const keys = usage.orderBy;
  if (keys.length === 0) return [];
  const defaultNulls = (direction: 'asc' | 'desc') => (direction === 'asc' ? 'last' : 'first');
  const uniform = keys.every((key) => key.direction === keys[0]?.direction);
  const defaultOrder = keys.every((key) => key.nulls === undefined || key.nulls === defaultNulls(key.direction));
  if (uniform && defaultOrder) return keys.map((key) => ({ part: key.on }));
  return keys.map((key) => {
    const out: { part: KeyPart; direction?: 'desc'; nulls?: 'first' | 'last' } = { part: key.on };
    if (key.direction === 'desc') out.direction = 'desc';
    if (key.nulls && key.nulls !== defaultNulls(key.direction)) out.nulls = key.nulls;
    return out;
  });
}

/** A range key; a LIKE prefix under a non-C collation needs the pattern operator class. */
function rangeKey(predicate: Predicate, schema: PostgresSchema, table: string): CandidateKey {
  if (predicate.kind !== 'like-prefix' || schema.collation === 'C' || schema.collation === 'POSIX') {
    return { part: predicate.on };
  }
  const column = predicate.on.column;
  const type = schema.tables.get(table)?.columns.find((c) => c.name === column)?.type ?? 'text';
  return {
    part: predicate.on,
    opclass: type.startsWith('character varying')
      ? 'varchar_pattern_ops'
      : type.startsWith('character') || type === 'bpchar'
        ? 'bpchar_pattern_ops'
        : 'text_pattern_ops',
  };
}

function distinctOf(schema: PostgresSchema, table: string, part: KeyPart): number {
  if (part.columns.length !== 1) return Number.MAX_SAFE_INTEGER;
  const stats = schema.stats.find((s) => s.table === table && s.column === part.columns[0]);
  return stats?.distinct ?? schema.tables.get(table)?.rows ?? 0;
}

function sameKey(a: CandidateKey, b: CandidateKey): boolean {
  return keyPartText(a.part) === keyPartText(b.part);
}

function unique<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Whether an existing index already serves a candidate: valid, same method, the candidate's keys are
 * its keys or a left prefix of them (same direction and operator class defaults), its INCLUDE columns
 * are in the index, and the index is not partial (or has the same predicate).
 */
export function servesCandidate(index: ExistingIndex, candidate: Omit<IndexCandidate, 'name' | 'kinds'>): boolean {
  if (!index.valid || index.table !== candidate.table || index.method !== candidate.method) return false;
  if (index.predicate !== null && normalize(index.predicate) !== normalize(candidate.predicate ?? '')) return false;
  if (candidate.keys.length > index.keys.length) return false;
  if (candidate.keys.some((key) => key.direction || key.nulls || key.opclass)) {
    // The catalogue's per-key options are not compared: leave such candidates to the planner.
    return false;
  }
  const prefix = candidate.keys.every((key, i) => {
    const existing = index.keys[i];
    if (!existing) return false;
    if (key.part.column !== undefined) return existing.column === key.part.column;
    return existing.expression !== undefined && normalize(existing.expression) === normalize(key.part.expression ?? '');
  });
  if (!prefix) return false;
  const covered = new Set([...index.keys.flatMap((key) => (key.column ? [key.column] : [])), ...index.include]);
  return candidate.include.every((column) => covered.has(column));
}

/** Compares expressions loosely: quotes, casts to text/varchar, parentheses and spaces ignored. */
function normalize(sql: string): string {
  return sql
    .toLowerCase()
    .replace(/::(text|character varying|varchar)(\(\d+\))?/g, '')
    .replace(/["()\s]/g, '');
}
