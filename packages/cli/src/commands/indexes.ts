import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createIndexSql,
  type IndexerWorkload,
  type IndexLintFinding,
  type IndexSuggestions,
  lintIndexes,
  readSqlFile,
  readWorkload,
  renderMigration,
  suggestIndexes,
} from '@stratum/indexer';
import { CliInputError } from '../errors/cli-input-error.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import type { Progress } from '../output/progress.js';
import { type TargetDatabaseOptions, targetDatabaseUrl } from './target-database.js';

/** Options of {@link indexesSuggest}. */
export interface IndexesSuggestOptions extends TargetDatabaseOptions {
  /** The profiler's workload file (`.json`, version 1) or a plain SQL file (`.sql`). */
  readonly workload: string;
  /** Told how far the evaluation is (the command shows it as a bar or as lines). */
  readonly progress?: Progress;
}

/** One suggested index, as `--json` prints it (a stable shape: these fields only). */
export interface SuggestedIndex {
  readonly name: string;
  readonly table: string;
  readonly sql: string;
  /** Planner cost saved per run of the workload (Σ calls × cost before − after). */
  readonly saved: number;
  readonly estimatedBytes: number;
  readonly queries: readonly {
    readonly source: string;
    readonly calls: number;
    readonly before?: number;
    readonly after?: number;
  }[];
  readonly writesSlowed: readonly { readonly source: string; readonly calls: number }[];
}

/** What `stratum indexes suggest` returns (and prints with `--json`). */
export interface IndexesSuggestReport {
  readonly workload: string;
  readonly evaluation: IndexSuggestions['evaluation'];
  readonly elapsedMs: number;
  readonly totalCostBefore: number;
  readonly totalCostAfter: number;
  readonly suggestions: readonly SuggestedIndex[];
  readonly unparsed: readonly { readonly source: string; readonly sql: string; readonly reason: string }[];
  readonly exitCode: ExitCode;
}

/**
 * `stratum indexes suggest --workload w.json [--db URL | --config mikro-orm.config.ts]`: the indexes
 * `@stratum/indexer` picks for the whole workload, with their reasons — as data. Bad input (a missing
 * or malformed workload, another version, an unreachable database, a table the database does not
 * have) is the indexer's typed error, which the command prints with exit code 2.
 *
 * @example
 * ```ts
 * const report = await indexesSuggest({ workload: 'workload.json', db: process.env.DATABASE_URL });
 * report.suggestions.map((s) => s.sql);
 * ```
 */
export async function indexesSuggest(options: IndexesSuggestOptions): Promise<IndexesSuggestReport> {
  const { result } = await suggest(options);
  return {
    workload: resolve(options.workload),
    evaluation: result.evaluation,
    elapsedMs: Math.round(result.elapsedMs),
    totalCostBefore: result.totalCostBefore,
    totalCostAfter: result.totalCostAfter,
    suggestions: result.suggestions.map(({ index, reason }) => ({
      name: index.name,
      table: index.table,
      sql: createIndexSql(index, { concurrently: true }),
      saved: reason.saved,
      estimatedBytes: reason.estimatedBytes,
      queries: reason.queries.map((q) => ({
        source: q.source,
        calls: q.calls,
        ...(q.before === undefined ? {} : { before: q.before }),
        ...(q.after === undefined ? {} : { after: q.after }),
      })),
      writesSlowed: reason.writesSlowed.map((w) => ({ source: w.source, calls: w.calls })),
    })),
    unparsed: result.unparsed.map((u) => ({ source: u.source, sql: u.sql, reason: u.reason })),
    exitCode: EXIT_CODES.ok,
  };
}

/** Options of {@link indexesGenerate}. */
export interface IndexesGenerateOptions extends IndexesSuggestOptions {
  /** The folder the migration is written to (created if missing). */
  readonly out: string;
  /** The migration's class name. @default `Migration<yyyyMMddHHmmss>` of now */
  readonly className?: string;
}

/** What `stratum indexes generate` wrote. */
export interface IndexesGenerateReport {
  /** The migration file, or `undefined` when there was nothing to suggest (no file is written). */
  readonly file: string | undefined;
  readonly className: string | undefined;
  readonly indexes: readonly string[];
  readonly exitCode: ExitCode;
}

/**
 * `stratum indexes generate --workload w.json --out migrations/`: the suggestions as a MikroORM
 * migration class file (`<className>.ts`), which MikroORM's Migrator runs with
 * `migrations: { allOrNothing: false }` (see docs/indexes.md). Nothing to suggest: no file.
 *
 * @example
 * ```ts
 * const { file } = await indexesGenerate({ workload: 'workload.json', db: url, out: 'src/migrations' });
 * ```
 */
export async function indexesGenerate(options: IndexesGenerateOptions): Promise<IndexesGenerateReport> {
  const { result } = await suggest(options);
  if (result.suggestions.length === 0) {
    return { file: undefined, className: undefined, indexes: [], exitCode: EXIT_CODES.ok };
  }
  const source = renderMigration(result.suggestions, options.className ? { className: options.className } : {});
  const className = /export class (\w+)/.exec(source)?.[1] as string;
  const dir = resolve(options.out);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${className}.ts`);
  await writeFile(file, source, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
    throw new CliInputError(`${file} exists already: pass another --class-name or remove it.`);
  });
  return { file, className, indexes: result.suggestions.map((s) => s.index.name), exitCode: EXIT_CODES.ok };
}

/** Options of {@link indexesLint}. */
export interface IndexesLintOptions extends TargetDatabaseOptions {
  /** With a workload, a foreign key without an index is reported only when a statement uses its columns. */
  readonly workload?: string;
}

/** What `stratum indexes lint` found: exit code 1 when there is anything. */
export interface IndexesLintReport {
  readonly findings: readonly IndexLintFinding[];
  readonly exitCode: ExitCode;
}

/**
 * `stratum indexes lint [--workload w.json]`: invalid, duplicate, left-prefix-redundant and unused
 * indexes, and foreign keys without one, each with the SQL that fixes it.
 *
 * @example
 * ```ts
 * const { findings } = await indexesLint({ db: process.env.DATABASE_URL });
 * ```
 */
export async function indexesLint(options: IndexesLintOptions): Promise<IndexesLintReport> {
  const clientUrl = await targetDatabaseUrl(options);
  const workload = options.workload === undefined ? undefined : await readInput(options.workload);
  const findings = await lintIndexes({ clientUrl, ...(workload ? { workload } : {}) });
  return { findings, exitCode: findings.length > 0 ? EXIT_CODES.findings : EXIT_CODES.ok };
}

async function suggest(options: IndexesSuggestOptions): Promise<{ result: IndexSuggestions }> {
  const workload = await readInput(options.workload);
  const clientUrl = await targetDatabaseUrl(options);
  const progress = options.progress;
  let phase = '';
  const result = await suggestIndexes({
    workload,
    clientUrl,
    ...(progress
      ? {
          onProgress: (event) => {
            const label = event.phase === 'round' ? `round ${event.round}` : event.phase;
            if (label !== phase) {
              if (phase !== '') progress.stop();
              progress.start(event.total, `evaluating (${label})`);
              phase = label;
            }
            progress.tick(`${event.picked} picked`);
          },
        }
      : {}),
  });
  if (phase !== '') progress?.stop();
  return { result };
}

/** A workload file (`.json`) or a plain SQL file (`.sql`). */
function readInput(path: string): Promise<IndexerWorkload> {
  return path.endsWith('.sql') ? readSqlFile(path) : readWorkload(path);
}
