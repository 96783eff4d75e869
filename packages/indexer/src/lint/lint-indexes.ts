import { analyzeWorkload } from '../analyze/analyze-postgres.js';
import { quoteIdent } from '../analyze/query-shape.js';
import type { IndexerWorkload } from '../input/workload-input.js';
import { connectPostgres, type PgClient } from '../postgres/connect.js';
import { type ExistingIndex, introspectPostgres, type PostgresSchema } from '../postgres/introspect-postgres.js';

/** One problem with the indexes of the target database, and the SQL that fixes it. */
export type IndexLintFinding =
  | {
      readonly kind: 'invalid-index';
      readonly table: string;
      readonly index: string;
      readonly message: string;
      readonly fix: string;
    }
  | RedundantIndexFinding<'duplicate-index'>
  | RedundantIndexFinding<'redundant-prefix'>
  | {
      readonly kind: 'unused-index';
      readonly table: string;
      readonly index: string;
      readonly bytes: number;
      /** When the statistics the count comes from started (`stats_reset`, else the server's start). */
      readonly statsSince: string;
      readonly message: string;
      readonly fix: string;
    }
  | {
      readonly kind: 'fk-without-index';
      readonly table: string;
      readonly foreignKey: string;
      readonly columns: readonly string[];
      /** The workload's statements that filter or join on those columns (empty without a workload). */
      readonly queries: readonly string[];
      readonly message: string;
      readonly fix: string;
    };

/** An index another one makes useless: the same definition, or a left prefix of its keys. */
export interface RedundantIndexFinding<Kind extends 'duplicate-index' | 'redundant-prefix'> {
  readonly kind: Kind;
  readonly table: string;
  readonly index: string;
  /** The index that already does its work. */
  readonly coveredBy: string;
  readonly bytes: number;
  readonly message: string;
  readonly fix: string;
}

/** Options of {@link lintIndexes}. */
export interface LintIndexesOptions {
  clientUrl?: string;
  client?: PgClient;
  /** With a workload, a foreign key without an index is reported only when a statement uses its columns. */
  workload?: IndexerWorkload;
}

/**
 * Finds what is wrong with the existing indexes, PgHero-style: invalid indexes (a failed
 * `CREATE INDEX CONCURRENTLY` leaves one behind: maintained on every write, never used), duplicates
 * (the same definition twice), left-prefix-redundant indexes (`(a)` next to `(a, b)`, neither unique
 * nor partial), unused indexes (`pg_stat_user_indexes.idx_scan = 0` since the statistics were reset;
 * unique and constraint indexes excluded), and foreign keys whose columns no index starts with (with a
 * workload: only those a statement filters or joins on). Each finding carries the SQL that fixes it.
 *
 * @throws {DatabaseUnreachableError} `clientUrl` cannot be reached.
 * @example
 * ```ts
 * const findings = await lintIndexes({ clientUrl, workload: await readWorkload('workload.json') });
 * for (const finding of findings) console.log(`${finding.kind}: ${finding.message}\n  ${finding.fix}`);
 * ```
 */
export async function lintIndexes(options: LintIndexesOptions): Promise<IndexLintFinding[]> {
  const client = options.client ?? (await connectPostgres(options.clientUrl as string));
  try {
    const { rows } = await client.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and pg_table_is_visible(c.oid)
          and n.nspname not in ('pg_catalog', 'information_schema') order by 1`,
    );
    const schema = await introspectPostgres(
      client,
      rows.map((row) => row.name),
      { analyze: false },
    );
    const usage = await client.query<{ index: string; table: string; scans: string }>(
      `select indexrelname as index, relname as table, idx_scan::text as scans from pg_stat_user_indexes`,
    );
    const since = await client.query<{ since: string }>(
      `select coalesce(stats_reset, pg_postmaster_start_time())::text as since from pg_stat_database where datname = current_database()`,
    );
    const analysis = options.workload ? await analyzeWorkload(options.workload) : undefined;
    return [
      ...invalid(schema),
      ...redundant(schema),
      ...unused(schema, usage.rows, since.rows[0]?.since ?? 'unknown'),
      ...foreignKeys(schema, analysis),
    ];
  } finally {
    if (!options.client) await client.end().catch(() => {});
  }
}

function dropSql(schema: PostgresSchema, index: ExistingIndex): string {
  const table = schema.tables.get(index.table);
  return `drop index concurrently if exists ${quoteIdent(table?.schema ?? 'public')}.${quoteIdent(index.name)};`;
}

function invalid(schema: PostgresSchema): IndexLintFinding[] {
  return schema.indexes
    .filter((index) => !index.valid)
    .map((index) => ({
      kind: 'invalid-index' as const,
      table: index.table,
      index: index.name,
      message: `${index.name} on ${index.table} is INVALID (a failed CREATE INDEX CONCURRENTLY): writes maintain it, queries never use it`,
      fix: dropSql(schema, index),
    }));
}

const keyText = (index: ExistingIndex) => index.keys.map((key) => key.column ?? `(${key.expression})`);

function redundant(schema: PostgresSchema): IndexLintFinding[] {
  const findings: IndexLintFinding[] = [];
  const valid = schema.indexes.filter((index) => index.valid);
  const enforces = (index: ExistingIndex) => index.unique || index.primary || index.constraint !== null;
  for (const index of valid) {
    for (const other of valid) {
      if (other === index || other.table !== index.table || other.method !== index.method) continue;
      if (index.predicate !== other.predicate) continue;
      const mine = keyText(index);
      const theirs = keyText(other);
      const same = mine.join('\u0000') === theirs.join('\u0000') && index.include.join() === other.include.join();
      if (same) {
        // Keep the one that enforces something; between equals, the first by name.
        if (enforces(index) && !enforces(other)) continue;
        if (enforces(index) === enforces(other) && index.name < other.name) continue;
        if (enforces(index)) continue;
        findings.push({
          kind: 'duplicate-index',
          table: index.table,
          index: index.name,
          coveredBy: other.name,
          bytes: index.bytes,
          message: `${index.name} on ${index.table} duplicates ${other.name}`,
          fix: dropSql(schema, index),
        });
        break;
      }
      const prefix =
        index.method === 'btree' &&
        !enforces(index) &&
        index.predicate === null &&
        index.include.length === 0 &&
        mine.length < theirs.length &&
        mine.every((key, i) => theirs[i] === key);
      if (prefix) {
        findings.push({
          kind: 'redundant-prefix',
          table: index.table,
          index: index.name,
          coveredBy: other.name,
          bytes: index.bytes,
          message: `${index.name} (${mine.join(', ')}) on ${index.table} is a left prefix of ${other.name} (${theirs.join(', ')}), which serves the same lookups`,
          fix: dropSql(schema, index),
        });
        break;
      }
    }
  }
  return findings;
}

function unused(
  schema: PostgresSchema,
  usage: readonly { index: string; table: string; scans: string }[],
  since: string,
): IndexLintFinding[] {
  return schema.indexes
    .filter((index) => index.valid && !index.unique && !index.primary && index.constraint === null)
    .filter((index) => usage.find((u) => u.index === index.name && u.table === index.table)?.scans === '0')
    .map((index) => ({
      kind: 'unused-index' as const,
      table: index.table,
      index: index.name,
      bytes: index.bytes,
      statsSince: since,
      message: `${index.name} on ${index.table} has not been scanned since ${since} (${index.bytes} bytes, maintained on every write); check replicas before dropping it`,
      fix: dropSql(schema, index),
    }));
}

function foreignKeys(
  schema: PostgresSchema,
  analysis: Awaited<ReturnType<typeof analyzeWorkload>> | undefined,
): IndexLintFinding[] {
  const findings: IndexLintFinding[] = [];
  for (const fk of schema.foreignKeys) {
    const served = schema.indexes.some(
      (index) =>
        index.valid &&
        index.predicate === null &&
        index.keys.length >= fk.columns.length &&
        fk.columns.every((column) => index.keys.slice(0, fk.columns.length).some((key) => key.column === column)),
    );
    if (served) continue;
    const queries = (analysis?.queries ?? [])
      .filter((query) =>
        query.usages.some(
          (usage) =>
            usage.table === fk.table &&
            fk.columns.every(
              (column) => usage.joinColumns.includes(column) || usage.predicates.some((p) => p.on.column === column),
            ),
        ),
      )
      .map((query) => query.source);
    if (analysis && queries.length === 0) continue;
    const table = schema.tables.get(fk.table);
    findings.push({
      kind: 'fk-without-index',
      table: fk.table,
      foreignKey: fk.name,
      columns: fk.columns,
      queries,
      message: `foreign key ${fk.name} on ${fk.table} (${fk.columns.join(', ')}) has no index: joins from ${fk.referencedTable} and its deletes scan ${fk.table}`,
      fix: `create index concurrently if not exists ${quoteIdent(`${fk.table}_${fk.columns.join('_')}_fk_idx`.slice(0, 63))} on ${quoteIdent(table?.schema ?? 'public')}.${quoteIdent(fk.table)} (${fk.columns.map(quoteIdent).join(', ')});`,
    });
  }
  return findings;
}
