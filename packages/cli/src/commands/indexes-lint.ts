import { type IndexLintFinding, lintIndexes } from '@stratum/indexer';
import { readInput, requireDb } from './read-input.js';

/** Options of {@link indexesLint}. */
export interface IndexesLintOptions {
  db?: string;
  /** The app's MikroORM config file, instead of `db`. */
  config?: string;
  /** Optional: with it, foreign keys without an index are reported only when a statement needs them. */
  workload?: string;
}

/** What `stratum indexes lint --json` prints. */
export interface LintOutput {
  readonly version: 1;
  readonly findings: readonly IndexLintFinding[];
}

/**
 * `stratum indexes lint`: invalid, duplicate, redundant and unused indexes, foreign keys without an
 * index. The entry point exits with 1 when there is a finding.
 *
 * @example
 * ```ts
 * const { findings } = await indexesLint({ db: url });
 * ```
 */
export async function indexesLint(options: IndexesLintOptions): Promise<LintOutput> {
  const db = await requireDb(options.db, options.config);
  const workload = options.workload ? await readInput(options.workload) : undefined;
  return { version: 1, findings: await lintIndexes({ clientUrl: db, ...(workload ? { workload } : {}) }) };
}
