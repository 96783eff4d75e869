import type { AnalyzedQuery } from '../analyze/query-shape.js';
import { createIndexSql, type IndexCandidate } from '../candidates/index-candidate.js';
import type { PgClient } from './connect.js';

/** How candidates are made visible to the planner. */
export type EvaluationMethod = 'hypopg' | 'rolled-back-index';

/** The planner's view of one query under a set of indexes. */
export interface PlannedQuery {
  /** Total cost of the plan (planner units), or undefined when EXPLAIN failed. */
  readonly cost: number | undefined;
  /** Names of the candidates the plan uses. */
  readonly uses: ReadonlySet<string>;
  readonly error?: string;
}

/** The planner's view of some queries under a set of candidates, with the candidates' estimated sizes. */
export interface PlannedSet {
  readonly plans: ReadonlyMap<number, PlannedQuery>;
  readonly bytes: ReadonlyMap<string, number>;
}

/**
 * Plans queries with candidate indexes that do not exist: hypothetical ones (HypoPG, nothing built)
 * when the extension is installed and the candidate is a btree on columns, else real ones created
 * inside a transaction that is rolled back (a GIN trigram index, an expression index, or any index
 * without HypoPG — it is built, so it costs time on large tables, and it holds a lock on the table until
 * the rollback).
 */
export class PlanSession {
  constructor(
    private readonly client: PgClient,
    readonly hypopg: boolean,
  ) {}

  /** Expressions to give statistics to while planning, by table (see {@link useExpressionStatistics}). */
  private expressionStatistics = new Map<string, { schema: string; expressions: Set<string> }>();

  /** Which method a candidate is evaluated with: HypoPG for a btree, a rolled-back build otherwise. */
  methodOf(candidate: IndexCandidate): EvaluationMethod {
    return this.hypopg && candidate.method === 'btree' ? 'hypopg' : 'rolled-back-index';
  }

  /**
   * Plans every query on the tables of these candidates' expressions with statistics on those
   * expressions (PostgreSQL ≥ 14 `CREATE STATISTICS ... ON (lower(email))`, analysed, inside a
   * transaction that is rolled back). Without them the planner guesses that 0.5% of the rows match an
   * expression, both without the index (so `lower(email) = $1 LIMIT 1` looks nearly free as a
   * sequential scan) and with a hypothetical one (HypoPG has no statistics for it).
   */
  useExpressionStatistics(candidates: readonly IndexCandidate[], serverVersion: number): void {
    if (serverVersion < 140_000) return;
    for (const candidate of candidates) {
      for (const key of candidate.keys) {
        if (key.part.expression === undefined) continue;
        const entry = this.expressionStatistics.get(candidate.table) ?? {
          schema: candidate.schema,
          expressions: new Set(),
        };
        entry.expressions.add(key.part.expression);
        this.expressionStatistics.set(candidate.table, entry);
      }
    }
  }

  /** Plans `queries` (by index into `all`) with exactly `candidates` added to the real indexes. */
  async plan(
    candidates: readonly IndexCandidate[],
    all: readonly AnalyzedQuery[],
    queries: readonly number[],
  ): Promise<PlannedSet> {
    const real = candidates.filter((c) => this.methodOf(c) === 'rolled-back-index');
    const hypothetical = candidates.filter((c) => this.methodOf(c) === 'hypopg');
    const names = new Map<string, string>();
    const bytes = new Map<string, number>();
    const plans = new Map<number, PlannedQuery>();
    if (this.hypopg) await this.client.query('select hypopg_reset()');
    const tables = new Set(queries.flatMap((i) => (all[i] as AnalyzedQuery).usages.map((u) => u.table)));
    const statistics = [...this.expressionStatistics].filter(([table]) => tables.has(table));
    const inTransaction = real.length > 0 || statistics.length > 0;
    if (inTransaction) await this.client.query('begin');
    try {
      let statisticsCount = 0;
      for (const [table, { schema, expressions }] of statistics) {
        for (const expression of expressions) {
          // A non-immutable expression cannot have statistics (nor an index): skip it, keep the transaction.
          await this.client.query('savepoint stratum_statistics');
          try {
            await this.client.query(
              `create statistics ${quote(`stratum_expression_${++statisticsCount}`)} on (${expression}) from ${quote(schema)}.${quote(table)}`,
            );
            await this.client.query('release savepoint stratum_statistics');
          } catch {
            await this.client.query('rollback to savepoint stratum_statistics');
          }
        }
        await this.client.query(`analyze ${quote(schema)}.${quote(table)}`);
      }
      if (real.some((c) => c.keys.some((key) => key.opclass === 'gin_trgm_ops'))) {
        await this.client.query('create extension if not exists pg_trgm');
      }
      for (const candidate of real) {
        await this.client.query(createIndexSql(candidate));
        names.set(candidate.name, candidate.name);
        const size = await this.client.query<{ bytes: string }>(
          'select pg_relation_size($1::regclass)::text as bytes',
          [`${quote(candidate.schema)}.${quote(candidate.name)}`],
        );
        bytes.set(candidate.name, Number(size.rows[0]?.bytes ?? 0));
      }
      // An expression index has statistics of its own only after ANALYZE (rolled back with the rest).
      for (const table of new Set(real.filter((c) => c.keys.some((k) => k.part.expression)).map((c) => c.table))) {
        const candidate = real.find((c) => c.table === table) as IndexCandidate;
        await this.client.query(`analyze ${quote(candidate.schema)}.${quote(table)}`);
      }
      for (const candidate of hypothetical) {
        const created = await this.client.query<{ indexrelid: number; indexname: string }>(
          'select indexrelid, indexname from hypopg_create_index($1)',
          [hypoSql(candidate)],
        );
        const row = created.rows[0] as { indexrelid: number; indexname: string };
        names.set(row.indexname, candidate.name);
        const size = await this.client.query<{ bytes: string }>('select hypopg_relation_size($1)::text as bytes', [
          row.indexrelid,
        ]);
        bytes.set(candidate.name, Number(size.rows[0]?.bytes ?? 0));
      }
      for (const index of queries) {
        plans.set(index, await this.explain(all[index] as AnalyzedQuery, names, inTransaction));
      }
    } finally {
      if (inTransaction) await this.client.query('rollback');
      if (this.hypopg) await this.client.query('select hypopg_reset()');
    }
    return { plans, bytes };
  }

  private async explain(
    query: AnalyzedQuery,
    names: ReadonlyMap<string, string>,
    inTransaction: boolean,
  ): Promise<PlannedQuery> {
    // Inside the transaction of real candidates, a failing EXPLAIN must not abort it: a savepoint.
    if (inTransaction) await this.client.query('savepoint stratum_explain');
    try {
      const result = await this.client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `explain (format json) ${query.sql}`,
        [...query.params],
      );
      const plan = (result.rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan;
      const uses = new Set<string>();
      collectIndexNames(plan, (name) => {
        const candidate = names.get(name);
        if (candidate) uses.add(candidate);
      });
      if (inTransaction) await this.client.query('release savepoint stratum_explain');
      return { cost: plan['Total Cost'], uses };
    } catch (error) {
      if (inTransaction) await this.client.query('rollback to savepoint stratum_explain');
      return { cost: undefined, uses: new Set(), error: error instanceof Error ? error.message : String(error) };
    }
  }
}

interface PlanNode {
  'Total Cost': number;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function collectIndexNames(node: PlanNode, found: (name: string) => void): void {
  if (node['Index Name']) found(node['Index Name']);
  for (const child of node.Plans ?? []) collectIndexNames(child, found);
}

/**
 * The statement handed to `hypopg_create_index`. HypoPG 1.3.1 ignores a partial index whose predicate
 * compares with a bare numeric literal (`total >= 20`) but honours a quoted one (`total >= '20'`), which
 * PostgreSQL reads as the same value: numbers in the predicate are quoted for HypoPG only.
 */
function hypoSql(candidate: IndexCandidate): string {
  const predicate =
    candidate.predicate?.replace(/(\s(?:=|<>|<=?|>=?)\s)(-?\d+(?:\.\d+)?)(?![\w'.])/g, "$1'$2'") ?? null;
  return createIndexSql({ ...candidate, predicate }, { name: false });
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
