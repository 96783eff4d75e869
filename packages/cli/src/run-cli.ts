import { readFileSync } from 'node:fs';
import { StratumError } from '@stratum/core';
import { Command, CommanderError, Option } from 'commander';
import {
  type IndexesGenerateReport,
  type IndexesLintReport,
  type IndexesSuggestReport,
  indexesGenerate,
  indexesLint,
  indexesSuggest,
} from './commands/indexes.js';
import { type SqliteCheckReport, sqliteCheck } from './commands/sqlite-check.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { formatTable } from './output/format-table.js';
import { createProgress } from './output/progress.js';

/** Where `stratum` writes: results on `stdout`, help, progress and errors on `stderr`. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/**
 * Runs `stratum` with `argv` (without `node` and the script) and resolves to its exit code; the
 * `bin` entry point only sets `process.exitCode` from it. Every command is a function that returns
 * data (`sqliteCheck`, …); this prints it, as a table or, with `--json`, as one JSON document.
 * Commander parses the arguments; bad usage exits with 2, like bad input.
 *
 * @example
 * ```ts
 * const code = await runCli(['sqlite', 'check', '.data/chinook.sqlite', '--json'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT_CODES.ok;
  const program = new Command('stratum')
    .description('Stratum: SQLite checks and index migrations for MikroORM 7 apps.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  const sqlite = program.command('sqlite').description('SQLite files: tuning and health');
  sqlite
    .command('check')
    .description("compare an SQLite file's pragmas with a @stratum/sqlite preset; report WAL size, pages, freelist")
    .argument('[file]', 'the SQLite file (default: the dbName of the MikroORM config)')
    .option('--config <path>', 'the MikroORM config file (default: where MikroORM looks)')
    .addOption(new Option('--preset <name>', 'the preset to compare with').default('default'))
    .option('--json', 'print the report as JSON')
    .action(async (file: string | undefined, options: { config?: string; preset: string; json?: boolean }) => {
      const report = await sqliteCheck({
        ...(file === undefined ? {} : { file }),
        ...(options.config === undefined ? {} : { config: options.config }),
        preset: options.preset,
      });
      io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatSqliteCheck(report));
      exitCode = report.exitCode;
    });

  const indexes = program
    .command('indexes')
    .description('PostgreSQL indexes from a recorded workload (@stratum/indexer)');
  const target = (command: Command) =>
    command
      .option('--db <url>', 'the PostgreSQL database to evaluate against (default: the MikroORM config)')
      .option('--config <path>', 'the MikroORM config file (default: where MikroORM looks)');
  const where = (options: { db?: string; config?: string }) => ({
    ...(options.db === undefined ? {} : { db: options.db }),
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  target(
    indexes
      .command('suggest')
      .description('the indexes that serve the whole workload best, with the queries each serves and its cost saving')
      .requiredOption('--workload <file>', "the profiler's workload file (.json) or a SQL file (.sql)")
      .option('--json', 'print the report as JSON'),
  ).action(async (options: { workload: string; db?: string; config?: string; json?: boolean }) => {
    const report = await indexesSuggest({
      workload: options.workload,
      ...where(options),
      progress: createProgress(io.stderr),
    });
    io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatSuggest(report));
    exitCode = report.exitCode;
  });
  target(
    indexes
      .command('generate')
      .description('write the suggestions as a MikroORM migration class')
      .requiredOption('--workload <file>', "the profiler's workload file (.json) or a SQL file (.sql)")
      .requiredOption('--out <dir>', 'the folder to write the migration to')
      .option('--class-name <name>', 'the migration class name (default: Migration<timestamp>)')
      .option('--json', 'print what was written as JSON'),
  ).action(
    async (options: {
      workload: string;
      out: string;
      className?: string;
      db?: string;
      config?: string;
      json?: boolean;
    }) => {
      const report = await indexesGenerate({
        workload: options.workload,
        out: options.out,
        ...(options.className === undefined ? {} : { className: options.className }),
        ...where(options),
        progress: createProgress(io.stderr),
      });
      io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatGenerate(report));
      exitCode = report.exitCode;
    },
  );
  target(
    indexes
      .command('lint')
      .description('invalid, duplicate, redundant and unused indexes, and foreign keys without one')
      .option('--workload <file>', 'report only the foreign keys the workload uses')
      .option('--json', 'print the findings as JSON'),
  ).action(async (options: { workload?: string; db?: string; config?: string; json?: boolean }) => {
    const report = await indexesLint({
      ...where(options),
      ...(options.workload === undefined ? {} : { workload: options.workload }),
    });
    io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatLint(report));
    exitCode = report.exitCode;
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; anything else is bad usage.
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (error instanceof StratumError) {
      io.stderr.write(`stratum: ${error.message}\n`);
      return EXIT_CODES.usage;
    }
    throw error;
  }
}

/** The human form of a {@link SqliteCheckReport}. */
function formatSqliteCheck(report: SqliteCheckReport): string {
  const { inspection } = report;
  const rows = Object.entries(inspection.recommended).map(([name, recommended]) => {
    const actual = inspection.pragmas[name as keyof typeof inspection.pragmas];
    const difference = inspection.differences.find((d) => d.pragma === name);
    const mark = difference === undefined ? 'ok' : difference.scope === 'file' ? 'FIX' : 'per connection';
    return [name, String(actual ?? '(none)'), String(recommended), mark, difference?.reason ?? ''];
  });
  const checkpoint = inspection.lastCheckpoint
    ? `last checkpoint: ${JSON.stringify(inspection.lastCheckpoint)}`
    : 'no checkpoint recorded';
  return [
    `${report.file} (preset ${inspection.preset})`,
    formatTable(['pragma', 'current', 'recommended', '', 'why'], rows),
    `WAL ${inspection.walBytes} bytes; ${inspection.pageCount} pages of ${inspection.pageSize} bytes; freelist ${inspection.freelistCount}; ${checkpoint}`,
    report.findings.length > 0
      ? `${report.findings.length} setting(s) stored in the file differ from the preset (FIX).`
      : 'The file itself is set as the preset says; per-connection pragmas are set by @stratum/sqlite on each connection.',
    '',
  ].join('\n');
}

/** The human form of an {@link IndexesSuggestReport}. */
function formatSuggest(report: IndexesSuggestReport): string {
  const rows = report.suggestions.map((s) => [
    s.name,
    s.table,
    Math.round(s.saved).toLocaleString('en-US'),
    `${Math.round(s.estimatedBytes / 1024).toLocaleString('en-US')} kB`,
    String(s.queries.length),
  ]);
  const lines = [
    `${report.suggestions.length} index(es) for ${report.workload} (evaluated with ${report.evaluation}, ${report.elapsedMs} ms): ` +
      `planner cost of the workload ${Math.round(report.totalCostBefore).toLocaleString('en-US')} -> ${Math.round(report.totalCostAfter).toLocaleString('en-US')}`,
  ];
  if (rows.length > 0) lines.push(formatTable(['index', 'table', 'cost saved', 'size', 'queries'], rows));
  for (const s of report.suggestions) lines.push(`  ${s.sql};`);
  for (const u of report.unparsed) lines.push(`not analysed (${u.source}): ${u.reason}: ${u.sql.slice(0, 120)}`);
  return `${lines.join('\n')}\n`;
}

/** The human form of an {@link IndexesGenerateReport}. */
function formatGenerate(report: IndexesGenerateReport): string {
  if (report.file === undefined) return 'Nothing to suggest: no migration written.\n';
  return `Wrote ${report.file} (${report.indexes.length} index(es): ${report.indexes.join(', ')}).\nRun it with MikroORM's Migrator and migrations: { allOrNothing: false } (CREATE INDEX CONCURRENTLY).\n`;
}

/** The human form of an {@link IndexesLintReport}. */
function formatLint(report: IndexesLintReport): string {
  if (report.findings.length === 0) return 'No findings.\n';
  const rows = report.findings.map((f) => [f.kind, f.table, 'index' in f ? String(f.index) : '', f.message]);
  return `${formatTable(['finding', 'table', 'index', 'what'], rows)}\n${report.findings.map((f) => `  ${f.fix}`).join('\n')}\n`;
}
