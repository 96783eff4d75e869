// The benchmark runner:
//
//   pnpm bench <name> [--json] [--quick]    run test/bench/benchmarks/<name>.ts
//   pnpm bench --list                       print the benchmark names
//
// --json   print exactly one JSON object (the report) on stdout; progress goes to stderr
// --quick  tiny sizes, for a smoke run (still 5 timed repetitions per contender)
//
// Exit codes: 0 done, 1 the benchmark failed, 2 usage error (unknown name or option).
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BenchModule,
  type BenchReport,
  formatReport,
  InterruptedError,
  interrupt,
  runPendingCleanups,
} from './harness.js';

const BENCHMARKS_DIR = fileURLToPath(new URL('./benchmarks/', import.meta.url));
const USAGE = 'usage: pnpm bench <name> [--json] [--quick] | pnpm bench --list';

class UsageError extends Error {}

/** Progress and errors: always stderr, so `--json` leaves stdout to the report. */
function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The benchmark names: the `.ts` files of test/bench/benchmarks/, without extension. */
function benchmarkNames(): string[] {
  return readdirSync(BENCHMARKS_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

const OPTIONS = { json: { type: 'boolean' }, quick: { type: 'boolean' }, list: { type: 'boolean' } } as const;

function parse(argv: string[]): { name?: string; json: boolean; quick: boolean; list: boolean } {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv.filter((arg) => arg !== '--'),
        options: OPTIONS,
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  })();
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(`one benchmark at a time, got ${positionals.join(', ')}`);
  }
  return { name: positionals[0], json: values.json ?? false, quick: values.quick ?? false, list: values.list ?? false };
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const names = benchmarkNames();
  if (args.list) {
    process.stdout.write(`${names.join('\n')}\n`);
    return 0;
  }
  if (!args.name) {
    throw new UsageError(`name a benchmark: ${names.join(', ')}`);
  }
  if (!names.includes(args.name)) {
    throw new UsageError(`unknown benchmark "${args.name}"; the benchmarks are: ${names.join(', ')}`);
  }

  if (args.json) {
    // Stdout carries the JSON report only: anything a library prints goes to stderr.
    console.log = console.error;
    console.info = console.error;
    console.warn = console.error;
    console.debug = console.error;
  }
  const module = (await import(pathToFileURL(join(BENCHMARKS_DIR, `${args.name}.ts`)).href)) as Partial<BenchModule>;
  if (typeof module.run !== 'function') {
    throw new Error(`test/bench/benchmarks/${args.name}.ts does not export run(options)`);
  }
  const started = process.hrtime.bigint();
  const report: BenchReport = await module.run({ quick: args.quick, log });
  log(`${args.name}: done in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  await write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return 0;
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}

/** How long an interrupted benchmark may take to stop at its next repetition before it is cut short. */
const INTERRUPT_GRACE_MS = 20_000;

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      // A second signal: clean up now and go.
      void runPendingCleanups(log).finally(() => process.exit(130));
      return;
    }
    interrupted = true;
    log(`\n${signal}: stopping at the next repetition, then dropping the database and removing files...`);
    interrupt(signal);
    setTimeout(() => void runPendingCleanups(log).finally(() => process.exit(130)), INTERRUPT_GRACE_MS).unref();
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (error: unknown) => {
    if (error instanceof UsageError) {
      log(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    if (!(error instanceof InterruptedError)) {
      log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    await runPendingCleanups(log);
    process.exit(error instanceof InterruptedError ? 130 : 1);
  },
);
