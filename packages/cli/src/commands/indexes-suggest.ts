import { type ChooseProgress, createIndexSql, suggestIndexes } from '@stratum/indexer';
import { readInput, requireDb } from './read-input.js';

/** Options of {@link indexesSuggest} (the command line's, parsed). */
export interface IndexesSuggestOptions {
  workload?: string;
  db?: string;
  /** The app's MikroORM config file, instead of `db`. */
  config?: string;
  onProgress?: (event: ChooseProgress) => void;
}

/** What `stratum indexes suggest --json` prints: a stable shape (`version: 1`). */
export interface SuggestOutput {
  readonly version: 1;
  readonly evaluation: string;
  readonly elapsedMs: number;
  readonly totalCostBefore: number;
  readonly totalCostAfter: number;
  readonly suggestions: readonly {
    readonly name: string;
    readonly table: string;
    readonly kinds: readonly string[];
    readonly sql: string;
    readonly saved: number;
    readonly writeCost: number;
    readonly estimatedBytes: number;
    readonly queries: readonly { source: string; calls: number; before?: number; after?: number }[];
  }[];
  readonly unparsed: readonly { source: string; sql: string; reason: string }[];
}

/**
 * `stratum indexes suggest`: the indexes that serve the workload best on the target database, with
 * their reasons. Returns data; the entry point prints it (a table, or JSON with `--json`).
 *
 * @example
 * ```ts
 * const out = await indexesSuggest({ workload: 'workload.json', db: 'postgresql://postgres@127.0.0.1/app' });
 * out.suggestions[0]; // { name: 'customer_email_c00ed8ec_idx', table: 'customer', sql: 'create index concurrently ...', ... }
 * ```
 */
export async function indexesSuggest(options: IndexesSuggestOptions): Promise<SuggestOutput> {
  const db = await requireDb(options.db, options.config);
  const workload = await readInput(options.workload);
  const result = await suggestIndexes({
    workload,
    clientUrl: db,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return {
    version: 1,
    evaluation: result.evaluation,
    elapsedMs: result.elapsedMs,
    totalCostBefore: result.totalCostBefore,
    totalCostAfter: result.totalCostAfter,
    suggestions: result.suggestions.map(({ index, reason }) => ({
      name: index.name,
      table: index.table,
      kinds: index.kinds,
      sql: `${createIndexSql(index, { concurrently: true })};`,
      saved: reason.saved,
      writeCost: reason.writeCost,
      estimatedBytes: reason.estimatedBytes,
      queries: reason.queries.map((q) => ({
        source: q.source,
        calls: q.calls,
        ...(q.before === undefined ? {} : { before: q.before }),
        ...(q.after === undefined ? {} : { after: q.after }),
      })),
    })),
    unparsed: result.unparsed.map((u) => ({ source: u.source, sql: u.sql, reason: u.reason })),
  };
}
