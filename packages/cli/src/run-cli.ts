import { readFileSync } from 'node:fs';
import { StratumError } from '@stratum/core';
import { Command, CommanderError, Option } from 'commander';
import { type SqliteCheckReport, sqliteCheck } from './commands/sqlite-check.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { formatTable } from './output/format-table.js';

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
