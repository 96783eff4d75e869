import { createRequire } from 'node:module';
import { StratumError } from '@stratum/core';
import { Command, CommanderError } from 'commander';
import { type GenerateOutput, indexesGenerate } from './commands/indexes-generate.js';
import { indexesLint, type LintOutput } from './commands/indexes-lint.js';
import { indexesSuggest, type SuggestOutput } from './commands/indexes-suggest.js';
import { createProgress } from './progress.js';

/** 0 done, 1 lint findings (or an unexpected failure), 2 bad usage or bad input. */
export type ExitCode = 0 | 1 | 2;

/** Error codes that mean the input (arguments, files, database, tables) is wrong: exit 2. */
const INPUT_ERRORS = new Set([
  'E_CLI_USAGE',
  'E_WORKLOAD_FILE',
  'E_WORKLOAD_VERSION',
  'E_UNKNOWN_TABLE',
  'E_DATABASE_UNREACHABLE',
  'E_INDEXER_OPTION',
]);

/**
 * The exit code of an error: 2 for bad usage or input (a typed Stratum input error, a commander
 * usage error), else 1.
 *
 * @example
 * ```ts
 * exitCodeOf(new WorkloadVersionError('w.json', 2)); // 2
 * ```
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof StratumError && INPUT_ERRORS.has(error.code)) return 2;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  return 1;
}

interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Runs `stratum <args>`: parses the arguments (commander), runs the command function, prints its
 * result (a table, or JSON with `--json`) and returns the exit code. `src/cli.ts` is the only place
 * that exits the process.
 *
 * @example
 * ```ts
 * const code = await runCli(['indexes', 'suggest', '--workload', 'w.json', '--db', url, '--json'], process);
 * ```
 */
export async function runCli(args: readonly string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = 0;
  const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  const program = new Command('stratum')
    .description('The data tier on top of MikroORM 7: index suggestions from a recorded workload.')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();
  const indexes = program
    .command('indexes')
    .description('suggest, generate and lint indexes from a workload recorded by @stratum/profiler')
    .exitOverride();
  const withProgress = async <T>(run: (onProgress: ReturnType<typeof createProgress>['onProgress']) => Promise<T>) => {
    const progress = createProgress(io.stderr);
    try {
      return await run(progress.onProgress);
    } finally {
      progress.stop();
    }
  };
  indexes
    .command('suggest')
    .description('the indexes that make the workload faster, each with the queries it serves')
    .option('--workload <file>', 'workload.json written by @stratum/profiler, or a .sql file')
    .option('--db <url>', 'the target PostgreSQL (statistics and existing indexes come from it)')
    .option('--config <file>', "or the app's MikroORM config (read as MikroORM's CLI reads it)")
    .option('--json', 'print one JSON object (stable shape, version 1)')
    .exitOverride()
    .action(async (options: { workload?: string; db?: string; config?: string; json?: boolean }) => {
      const out = await withProgress((onProgress) => indexesSuggest({ ...options, onProgress }));
      io.stdout.write(options.json ? `${JSON.stringify(out, null, 2)}\n` : formatSuggest(out));
    });
  indexes
    .command('generate')
    .description('write the suggestions as a MikroORM migration (run it with allOrNothing: false)')
    .option('--workload <file>', 'workload.json written by @stratum/profiler, or a .sql file')
    .option('--db <url>', 'the target PostgreSQL')
    .option('--config <file>', "or the app's MikroORM config")
    .option('--out <folder>', 'the migrations folder')
    .option('--class-name <name>', 'the migration class (default Migration<yyyyMMddHHmmss>)')
    .option('--json', 'print one JSON object')
    .exitOverride()
    .action(
      async (options: {
        workload?: string;
        db?: string;
        config?: string;
        out?: string;
        className?: string;
        json?: boolean;
      }) => {
        const out = await withProgress((onProgress) => indexesGenerate({ ...options, onProgress }));
        io.stdout.write(options.json ? `${JSON.stringify(out, null, 2)}\n` : formatGenerate(out));
      },
    );
  indexes
    .command('lint')
    .description('invalid, duplicate, redundant and unused indexes, foreign keys without an index (exit 1 on findings)')
    .option('--db <url>', 'the target PostgreSQL')
    .option('--config <file>', "or the app's MikroORM config")
    .option('--workload <file>', 'optional: report unindexed foreign keys only when a statement needs them')
    .option('--json', 'print one JSON object')
    .exitOverride()
    .action(async (options: { workload?: string; db?: string; config?: string; json?: boolean }) => {
      const out = await indexesLint(options);
      io.stdout.write(options.json ? `${JSON.stringify(out, null, 2)}\n` : formatLint(out));
      if (out.findings.length > 0) code = 1;
    });
  try {
    await program.parseAsync([...args], { from: 'user' });
    return code;
  } catch (error) {
    const exit = exitCodeOf(error);
    if (!(error instanceof CommanderError)) {
      io.stderr.write(`stratum: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return exit;
  }
}

function formatSuggest(out: SuggestOutput): string {
  const lines = [
    `${out.suggestions.length} index${out.suggestions.length === 1 ? '' : 'es'} (evaluated with ${out.evaluation}, ${out.elapsedMs} ms); workload cost ${Math.round(out.totalCostBefore)} -> ${Math.round(out.totalCostAfter)}`,
  ];
  for (const s of out.suggestions) {
    lines.push(
      '',
      `${s.name}  (${s.kinds.join(', ')}, ~${Math.round(s.estimatedBytes / 1024)} kB, saves ${Math.round(s.saved)})`,
    );
    lines.push(`  ${s.sql}`);
    for (const q of s.queries) lines.push(`  serves ${q.source} (${q.calls} calls): cost ${q.before} -> ${q.after}`);
  }
  for (const u of out.unparsed) lines.push('', `not parsed: ${u.source}: ${u.reason}`);
  return `${lines.join('\n')}\n`;
}

function formatGenerate(out: GenerateOutput): string {
  return `wrote ${out.file} (${out.indexes.length} index${out.indexes.length === 1 ? '' : 'es'}); apply it with MikroORM's Migrator and migrations: { allOrNothing: false }\n`;
}

function formatLint(out: LintOutput): string {
  if (out.findings.length === 0) return 'no findings\n';
  return `${out.findings.map((f) => `${f.kind}  ${f.table}: ${f.message}\n  fix: ${f.fix}`).join('\n')}\n`;
}
