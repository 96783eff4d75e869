// Shared helpers of the benchmarks under test/bench/benchmarks/: round-robin timing with medians,
// environment versions, report types, and clean-up of what a benchmark creates (databases, files).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, platform, release } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What a benchmark module (`test/bench/benchmarks/<name>.ts`) exports. */
export interface BenchModule {
  run(options: BenchOptions): Promise<BenchReport>;
}

/** Options the runner passes to a benchmark. */
export interface BenchOptions {
  /** Tiny sizes for a smoke run (still ≥ 5 timed repetitions per contender). */
  quick: boolean;
  /** Progress output (the runner sends it to stderr). */
  log: (line: string) => void;
}

/** Versions and machine facts a report is read against. */
export interface BenchEnv {
  node: string;
  sqlite?: string;
  postgresql?: string;
  mikroOrm: string;
  cpus: number;
  quick: boolean;
  cpuModel?: string;
  os?: string;
  date?: string;
  [key: string]: unknown;
}

/** One contender's figure on one database. */
export interface BenchResult {
  db: string;
  label: string;
  /** Rows written per second, from the median time. */
  rowsPerSec: number;
  /** Median wall time of the timed repetitions, in milliseconds. */
  medianMs: number;
  /** Rows written per repetition. */
  rows: number;
  /** Timed repetitions (the warm-up is not counted). */
  reps: number;
  minMs: number;
  maxMs: number;
  /** Every timed repetition, in run order. */
  samplesMs: number[];
  /**
   * With {@link InterleaveOptions.slices} > 1: every timed slice, in run order (repetition by
   * repetition, slice by slice), for {@link pairedSliceTimeRatio}.
   */
  sliceSamplesMs?: number[];
  /** A reference figure (e.g. COPY), not a contender. */
  reference?: boolean;
  note?: string;
}

/** What a benchmark returns and `pnpm bench <name> --json` prints. */
export interface BenchReport {
  name: string;
  env: BenchEnv;
  results: BenchResult[];
  /** `"<db>:<a>/<b>"`: rows/s of a over rows/s of b. */
  ratios: Record<string, number>;
  /** Free-form remarks (configuration, pragmas); printed under the table. */
  notes?: string[];
}

/** One thing to time: `run` is timed, `before`/`after` (untimed) bracket every repetition. */
export interface Contender {
  db: string;
  label: string;
  /** Rows one repetition writes (for rows/s). */
  rows: number;
  reference?: boolean;
  note?: string;
  /** Untimed, before each repetition (warm-up included), after the shared `setup`. */
  before?: () => Promise<void> | void;
  /** The timed work; with {@link InterleaveOptions.slices}, the given slice of it (0 .. slices - 1). */
  run: (slice: number) => Promise<void> | void;
  /** Untimed, after each repetition. */
  after?: () => Promise<void> | void;
  /** Untimed, once, right after the first (warm-up) repetition and before its `after`: throw if the work was not done right. */
  verify?: () => Promise<void> | void;
}

/** Options of {@link interleave}. */
export interface InterleaveOptions {
  /** Untimed repetitions per contender before the timed ones. @default 1 */
  warmup?: number;
  log?: (line: string) => void;
  /**
   * Runs each repetition in this many slices, the contenders taking turns slice by slice (`before` and
   * `after` bracket every slice, untimed), and times a repetition as the sum of its slices. A figure
   * that is a few percent apart from another's (an overhead) then sees the same phases of a noisy
   * machine: each contender runs within milliseconds of the others, not seconds. @default 1
   */
  slices?: number;
  /**
   * Force a garbage collection before each repetition (or slice), so one contender's garbage is not
   * paid by the next. Turn it off for per-call latencies of a few hundred µs: after a forced full
   * collection V8 starts over with a small young generation, and the next thousand `findOne` calls
   * here took twice as long (90 → 190 µs each) — a state no app runs in; each contender then pays
   * for its own garbage as it makes it, which is also what is being measured. @default true
   */
  collectGarbage?: boolean;
}

/** Fewest timed repetitions {@link interleave} accepts: a median of fewer is not worth printing. */
export const MIN_REPS = 5;

/**
 * Times the contenders round-robin, alternating (A B C, C B A, ...), so a slow phase of a noisy
 * machine hits all of them alike and none always follows the same other one: a warm-up round that is not counted, then `reps` timed rounds. Before each
 * repetition, `setup(contender)` then `contender.before()` run untimed (e.g. delete the previous
 * rows), then a garbage collection when it can be forced, so one contender's garbage is not paid by
 * the next. Each figure is the median of the contender's `reps` samples (`process.hrtime.bigint()`).
 *
 * @example
 * const results = await interleave(
 *   [{ db: 'sqlite', label: 'raw', rows: 1000, run: () => insertRaw(rows) }],
 *   5,
 *   () => deleteInserted(),
 * );
 */
export async function interleave(
  contenders: readonly Contender[],
  reps: number,
  setup?: (contender: Contender) => Promise<void> | void,
  options: InterleaveOptions = {},
): Promise<BenchResult[]> {
  const { warmup = 1, log = () => {}, slices = 1, collectGarbage: forceGc = true } = options;
  if (!Number.isInteger(slices) || slices < 1) {
    throw new RangeError(`interleave: slices must be a positive integer, got ${slices}`);
  }
  if (!Number.isInteger(reps) || reps < MIN_REPS) {
    throw new RangeError(`interleave: reps must be an integer >= ${MIN_REPS}, got ${reps}`);
  }
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new RangeError(`interleave: warmup must be a non-negative integer, got ${warmup}`);
  }
  const samples = contenders.map((): number[] => []);
  const sliceSamples = contenders.map((): number[] => []);
  for (let round = 0; round < warmup + reps; round++) {
    const timed = round >= warmup;
    const roundStarted = process.hrtime.bigint();
    // Odd rounds run the contenders in reverse (ABC, CBA, ...): a contender's place in the round (what
    // ran just before it, how warm the server's caches are) would otherwise bias it the same way every time.
    const order = [...contenders.entries()];
    if (round % 2 === 1) {
      order.reverse();
    }
    const roundMs = contenders.map(() => 0);
    for (let slice = 0; slice < slices; slice++) {
      for (const [i, contender] of slice % 2 === 0 ? order : [...order].reverse()) {
        // SQLite work is synchronous under its promises: let the event loop turn, so a Ctrl-C is seen.
        await yieldToEventLoop();
        throwIfInterrupted();
        await setup?.(contender);
        await contender.before?.();
        if (forceGc) {
          collectGarbage();
        }
        const started = process.hrtime.bigint();
        await contender.run(slice);
        const sliceMs = Number(process.hrtime.bigint() - started) / 1e6;
        roundMs[i] = (roundMs[i] as number) + sliceMs;
        if (timed && slices > 1) {
          (sliceSamples[i] as number[]).push(sliceMs);
        }
        if (round === 0 && slice === 0) {
          // Once per contender, after its first slice (of the warm-up unless warmup is 0), untimed.
          await contender.verify?.();
        }
        await contender.after?.();
      }
    }
    if (timed) {
      for (const [i, ms] of roundMs.entries()) {
        (samples[i] as number[]).push(ms);
      }
    }
    const what = timed ? `rep ${round - warmup + 1}/${reps}` : `warm-up ${round + 1}/${warmup}`;
    log(`  ${what} done in ${formatMs(Number(process.hrtime.bigint() - roundStarted) / 1e6)}`);
  }
  return contenders.map((contender, i) => {
    const result = toResult(contender, samples[i] as number[]);
    if (slices > 1) {
      result.sliceSamplesMs = (sliceSamples[i] as number[]).map((ms) => round(ms, 3));
    }
    return result;
  });
}

/** Builds a result from timed samples (median, min, max, rows/s). */
export function toResult(
  contender: Pick<Contender, 'db' | 'label' | 'rows' | 'reference' | 'note'>,
  samplesMs: number[],
): BenchResult {
  const medianMs = median(samplesMs);
  const result: BenchResult = {
    db: contender.db,
    label: contender.label,
    rowsPerSec: rowsPerSecond(contender.rows, medianMs),
    medianMs: round(medianMs, 3),
    rows: contender.rows,
    reps: samplesMs.length,
    minMs: round(Math.min(...samplesMs), 3),
    maxMs: round(Math.max(...samplesMs), 3),
    samplesMs: samplesMs.map((ms) => round(ms, 3)),
  };
  if (contender.reference) {
    result.reference = true;
  }
  if (contender.note) {
    result.note = contender.note;
  }
  return result;
}

/** The median (mean of the two middle values for an even count). Throws on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    throw new RangeError('median of an empty list');
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Rows per second, rounded to an integer. */
export function rowsPerSecond(rows: number, ms: number): number {
  return ms > 0 ? Math.round((rows * 1000) / ms) : Number.POSITIVE_INFINITY;
}

/** `a.rowsPerSec / b.rowsPerSec` for the results `db`/`a` and `db`/`b` (3 decimals); undefined if one is missing. */
export function ratio(results: readonly BenchResult[], db: string, a: string, b: string): number | undefined {
  const x = results.find((r) => r.db === db && r.label === a);
  const y = results.find((r) => r.db === db && r.label === b);
  return x && y && y.rowsPerSec > 0 ? round(x.rowsPerSec / y.rowsPerSec, 3) : undefined;
}

/**
 * The median over repetitions of `a`'s time over `b`'s time in the same repetition (3 decimals): for
 * results of one {@link interleave} call, whose samples are in run order. Unlike the ratio of two
 * medians it compares each repetition with its neighbour in time, so a slow phase of the machine
 * cancels out instead of landing on one side.
 *
 * @example
 * const [plain, profiled] = await interleave([plainContender, profiledContender], 9);
 * pairedTimeRatio(profiled, plain); // 1.03: the profiled calls took 3% longer
 */
export function pairedTimeRatio(a: BenchResult, b: BenchResult): number {
  if (a.samplesMs.length !== b.samplesMs.length || a.samplesMs.length === 0) {
    throw new RangeError(`pairedTimeRatio: ${a.label} and ${b.label} need as many samples, and at least one`);
  }
  return round(median(a.samplesMs.map((ms, i) => ms / (b.samplesMs[i] as number))), 3);
}

/**
 * The median over every timed slice of `a`'s time over `b`'s time in the same slice of the same
 * repetition (3 decimals): for results of one {@link interleave} call with `slices` > 1. A slice of
 * one contender runs within a slice's length of the other's, so a change of the machine's pace
 * between them is as short as it can be; and with many slices (15 repetitions of 10: 150 pairs) one
 * disturbed slice moves the median by little.
 *
 * @example
 * const [plain, profiled] = await interleave([plainContender, profiledContender], 15, undefined, { slices: 10 });
 * pairedSliceTimeRatio(profiled, plain); // 1.03: the profiled slices took 3% longer
 */
export function pairedSliceTimeRatio(a: BenchResult, b: BenchResult): number {
  const x = a.sliceSamplesMs ?? [];
  const y = b.sliceSamplesMs ?? [];
  if (x.length !== y.length || x.length === 0) {
    throw new RangeError(
      `pairedSliceTimeRatio: ${a.label} and ${b.label} need as many slice samples, and at least one`,
    );
  }
  return round(median(x.map((ms, i) => ms / (y[i] as number))), 3);
}

/** Fills `"<db>:<a>/<b>"` ratios for the given pairs and databases, skipping pairs with a missing side. */
export function ratios(
  results: readonly BenchResult[],
  dbs: readonly string[],
  pairs: readonly (readonly [string, string])[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const db of dbs) {
    for (const [a, b] of pairs) {
      const value = ratio(results, db, a, b);
      if (value !== undefined) {
        out[`${db}:${a}/${b}`] = value;
      }
    }
  }
  return out;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** A database handle that answers one SQL query with one row (better-sqlite3, pg, MikroORM's `em.execute`...). */
export type QueryOne = (sql: string) => Promise<Record<string, unknown> | undefined>;

/**
 * The environment of a report: Node, MikroORM, CPU count and, for each handle given, the server's
 * version (`select sqlite_version()`, `show server_version`).
 */
export async function collectEnv(options: {
  quick: boolean;
  sqlite?: QueryOne;
  postgresql?: QueryOne;
}): Promise<BenchEnv> {
  const sqlite = options.sqlite && String((await options.sqlite('select sqlite_version() as v'))?.v ?? 'unknown');
  // `show server_version` may carry the packager's suffix, e.g. "15.20 (Debian 15.20-0+deb12u1)".
  const postgresql =
    options.postgresql &&
    String((await options.postgresql('show server_version'))?.server_version ?? 'unknown').split(' ')[0];
  const env: BenchEnv = {
    node: process.version,
    ...(sqlite === undefined ? {} : { sqlite }),
    ...(postgresql === undefined ? {} : { postgresql }),
    mikroOrm: packageVersion('@mikro-orm/core'),
    cpus: availableParallelism(),
    quick: options.quick,
    cpuModel: cpus()[0]?.model?.trim(),
    os: `${platform()} ${release()}`,
    date: new Date().toISOString(),
  };
  return env;
}

/** The installed version of a package, read from its package.json. */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let gc: (() => void) | null | undefined;

/** Forces a full garbage collection when V8 lets us (`--expose-gc` set at run time); otherwise does nothing. */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** Thrown at the next repetition once the runner saw SIGINT/SIGTERM; `finally` blocks then clean up. */
export class InterruptedError extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

let interruptedBy: string | undefined;

/** Marks the run as interrupted: {@link interleave} throws an {@link InterruptedError} before its next repetition. */
export function interrupt(signal: string): void {
  interruptedBy ??= signal;
}

export function throwIfInterrupted(): void {
  if (interruptedBy !== undefined) {
    throw new InterruptedError(interruptedBy);
  }
}

/** Resolves after the event loop has turned once (timers, I/O and signal handlers get their turn). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const cleanups = new Set<() => Promise<void> | void>();

/**
 * Registers a clean-up (drop a database, remove a file) that the runner also calls when the process
 * is interrupted. Returns a function that runs it once and unregisters it; call that in `finally`.
 */
export function registerCleanup(cleanup: () => Promise<void> | void): () => Promise<void> {
  let done = false;
  const once = async () => {
    if (done) {
      return;
    }
    done = true;
    cleanups.delete(once);
    await cleanup();
  };
  cleanups.add(once);
  return once;
}

/** Runs every registered clean-up still pending (the runner calls it on SIGINT/SIGTERM); errors are reported, not thrown. */
export async function runPendingCleanups(report: (line: string) => void = () => {}): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      report(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Formats a report as aligned text: one row per result, then the ratios and notes. */
export function formatReport(report: BenchReport): string {
  const header = ['db', 'label', 'rows', 'median ms', 'rows/s', 'min ms', 'max ms', 'reps'];
  const body = report.results.map((r) => [
    r.db,
    r.reference ? `${r.label} (reference)` : r.label,
    r.rows.toLocaleString('en-US'),
    r.medianMs.toFixed(1),
    Math.round(r.rowsPerSec).toLocaleString('en-US'),
    r.minMs.toFixed(1),
    r.maxMs.toFixed(1),
    String(r.reps),
  ]);
  const numeric = [false, false, true, true, true, true, true, true];
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join('  ')
      .trimEnd();
  const e = report.env;
  const out = [
    `${report.name}: Node ${e.node}, MikroORM ${e.mikroOrm}` +
      (e.sqlite ? `, SQLite ${e.sqlite}` : '') +
      (e.postgresql ? `, PostgreSQL ${e.postgresql}` : '') +
      `, ${e.cpus} CPUs${e.quick ? ', --quick' : ''}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
  const ratioEntries = Object.entries(report.ratios);
  if (ratioEntries.length > 0) {
    const width = Math.max(...ratioEntries.map(([k]) => k.length));
    out.push(
      '',
      'ratios (rows/s over rows/s):',
      ...ratioEntries.map(([k, v]) => `  ${k.padEnd(width)}  ${v.toFixed(3)}`),
    );
  }
  if (report.notes?.length) {
    out.push('', ...report.notes.map((n) => `note: ${n}`));
  }
  return `${out.join('\n')}\n`;
}
