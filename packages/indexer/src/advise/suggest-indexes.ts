import { analyzeWorkload } from '../analyze/analyze-postgres.js';
import type { UnparsedStatement, WorkloadAnalysis } from '../analyze/query-shape.js';
import { generateCandidates } from '../candidates/generate-candidates.js';
import { IndexerOptionError } from '../errors/indexer-option-error.js';
import type { IndexerWorkload } from '../input/workload-input.js';
import { connectPostgres, type PgClient } from '../postgres/connect.js';
import { introspectPostgres, type PostgresSchema } from '../postgres/introspect-postgres.js';
import { type EvaluationMethod, PlanSession } from '../postgres/plan-session.js';
import { type ChooseOptions, chooseIndexes, type WorkloadChoice } from './choose-indexes.js';

/** Options of {@link suggestIndexes}. */
export interface SuggestIndexesOptions extends ChooseOptions {
  /** The workload: `readWorkload(path)`, `readSqlFile(path)` or `parseWorkload(toWorkload(...))`. */
  workload: IndexerWorkload;
  /** The target database (statistics and existing indexes come from it). Or pass `client`. */
  clientUrl?: string;
  /** An open `pg` client to use instead of `clientUrl` (left open). */
  client?: PgClient;
}

/** What {@link suggestIndexes} found. */
export interface IndexSuggestions extends WorkloadChoice {
  /** Statements the parser refused, with the reason (the others were analysed). */
  readonly unparsed: readonly UnparsedStatement[];
  readonly analysis: WorkloadAnalysis;
  readonly schema: PostgresSchema;
  /**
   * `hypopg` when the extension is installed in the target database (btree candidates are then
   * hypothetical; GIN ones are still built in a rolled-back transaction), else `rolled-back-index`.
   */
  readonly evaluation: EvaluationMethod;
  /** The advisor's own running time, in milliseconds. */
  readonly elapsedMs: number;
}

/**
 * From a workload to the indexes that serve it best, on PostgreSQL: parses every statement,
 * introspects the target database, proposes candidates and picks the set for the whole workload with
 * the planner's costs (HypoPG hypothetical indexes when `create extension hypopg` was run in that
 * database; else real indexes created in a transaction that is rolled back). Writes nothing.
 *
 * @throws {DatabaseUnreachableError} `clientUrl` cannot be reached.
 * @throws {UnknownTableError} the workload uses tables the database does not have.
 * @throws {IndexerOptionError} an option out of range.
 * @example
 * ```ts
 * const result = await suggestIndexes({ workload: await readWorkload('workload.json'), clientUrl: process.env.DATABASE_URL });
 * for (const { index, reason } of result.suggestions) console.log(index.name, reason.saved, reason.queries.length);
 * await writeFile('migrations/Migration20261204000000.ts', renderMigration(result.suggestions, { className: 'Migration20261204000000' }));
 * ```
 */
export async function suggestIndexes(options: SuggestIndexesOptions): Promise<IndexSuggestions> {
  const started = performance.now();
  validateOptions(options);
  const analysis = await analyzeWorkload(options.workload);
  const client = options.client ?? (await connectPostgres(options.clientUrl as string));
  try {
    const tables = [...new Set(analysis.queries.flatMap((q) => [...q.usages.map((u) => u.table), ...q.writes]))];
    const schema = await introspectPostgres(client, tables);
    const session = new PlanSession(client, schema.extensions.has('hypopg'));
    const candidates = generateCandidates(analysis.queries, schema);
    const choice = await chooseIndexes(session, analysis.queries, candidates, {
      ...options,
      serverVersion: schema.serverVersion,
    });
    return {
      ...choice,
      unparsed: analysis.unparsed,
      analysis,
      schema,
      evaluation: session.hypopg ? 'hypopg' : 'rolled-back-index',
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    if (!options.client) await client.end().catch(() => {});
  }
}

function validateOptions(options: SuggestIndexesOptions): void {
  if (!options.workload || !Array.isArray(options.workload.statements)) {
    throw new IndexerOptionError(
      'workload',
      'a workload (readWorkload, readSqlFile or parseWorkload)',
      options.workload,
    );
  }
  if (!options.client && typeof options.clientUrl !== 'string') {
    throw new IndexerOptionError('clientUrl', 'a PostgreSQL connection URL (or pass client)', options.clientUrl);
  }
  const { maxIndexesPerTable } = options;
  if (maxIndexesPerTable !== undefined && (!Number.isSafeInteger(maxIndexesPerTable) || maxIndexesPerTable < 1)) {
    throw new IndexerOptionError('maxIndexesPerTable', 'a positive integer', maxIndexesPerTable);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new IndexerOptionError('onProgress', 'a function', options.onProgress);
  }
  const { maxTotalBytes, minCostReduction, writeCostPerIndex } = options;
  if (maxTotalBytes !== undefined && !(maxTotalBytes > 0)) {
    throw new IndexerOptionError('maxTotalBytes', 'a positive number of bytes', maxTotalBytes);
  }
  if (minCostReduction !== undefined && !(minCostReduction >= 0 && minCostReduction < 1)) {
    throw new IndexerOptionError('minCostReduction', 'a fraction in [0, 1)', minCostReduction);
  }
  if (writeCostPerIndex !== undefined && !(writeCostPerIndex >= 0)) {
    throw new IndexerOptionError('writeCostPerIndex', 'a non-negative number', writeCostPerIndex);
  }
}
