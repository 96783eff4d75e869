// What @Timed() costs per call: a trivial async method and a trivial sync method, plain against
// decorated, N calls per repetition, interleaved, median of 5 timed repetitions (after a warm-up).
// Benchmarks run with the root tsconfig (legacy decorators), so @Timed() applies here as a legacy
// method decorator. Used by test/bench/benchmarks/profiler.ts.
//
// Read the full run's figures: with --quick (20 000 calls) the async @Timed() figure comes out about
// twice the full run's, because interleave() forces a full GC before each repetition and the new space
// V8 then starts from is small: the extra allocations of a timed async call (the derived promise and
// its two reactions) pay for the scavenges that follow. 1 000 000 calls amortize that.
import { Timed } from '../../../packages/profiler/src/timed/timed.js';
import { resetTimedMetrics, timedMetrics } from '../../../packages/profiler/src/timed/timed-metrics.js';
import { type Contender, interleave } from '../harness.js';

/** What {@link timedOverhead} measured, in nanoseconds per call (medians). */
export interface TimedOverhead {
  plainNsPerCall: number;
  timedNsPerCall: number;
  /** `timedNsPerCall - plainNsPerCall`: what @Timed() adds to an async call. */
  timedOverheadNs: number;
  plainSyncNsPerCall: number;
  timedSyncNsPerCall: number;
}

const REPS = 5;
/** Untimed rounds first: 20 000 calls are too few for the JIT to settle in one round, 1 000 000 are not. */
const WARMUP_QUICK = 5;

class PlainLookup {
  async find(id: number): Promise<number> {
    return id + 1;
  }

  findSync(id: number): number {
    return id + 1;
  }
}

class TimedLookup {
  @Timed('bench.find')
  async find(id: number): Promise<number> {
    return id + 1;
  }

  @Timed('bench.findSync')
  findSync(id: number): number {
    return id + 1;
  }
}

// One loop per contender (not one shared loop), so that each call site stays monomorphic, and a sum
// that is checked, so that no call can be optimized away.
let sink = 0;

async function plainAsync(service: PlainLookup, calls: number): Promise<void> {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    sum += await service.find(i);
  }
  sink = sum;
}

async function timedAsync(service: TimedLookup, calls: number): Promise<void> {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    sum += await service.find(i);
  }
  sink = sum;
}

function plainSync(service: PlainLookup, calls: number): void {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    sum += service.findSync(i);
  }
  sink = sum;
}

function timedSync(service: TimedLookup, calls: number): void {
  let sum = 0;
  for (let i = 0; i < calls; i++) {
    sum += service.findSync(i);
  }
  sink = sum;
}

/**
 * Times N calls (quick: 20 000, else 1 000 000) of an async method and of a sync method, each plain
 * and with @Timed(), round-robin, and returns the median nanoseconds per call of each.
 *
 * @example
 * const { timedOverheadNs } = await timedOverhead({ quick: true });
 * console.log(`@Timed() adds ${timedOverheadNs.toFixed(0)} ns to an async call`);
 */
export async function timedOverhead(options: { quick: boolean }): Promise<TimedOverhead> {
  const calls = options.quick ? 20_000 : 1_000_000;
  const expectedSum = (calls * (calls + 1)) / 2;
  const plain = new PlainLookup();
  const timed = new TimedLookup();
  const check = (label: string, metric?: string) => () => {
    if (sink !== expectedSum) {
      throw new Error(`${label}: the calls summed to ${sink}, expected ${expectedSum}`);
    }
    const recorded = metric === undefined ? calls : timedMetrics()[metric]?.calls;
    if (recorded !== calls) {
      throw new Error(`${label}: @Timed() recorded ${recorded} calls, expected ${calls}`);
    }
  };
  const contenders: Contender[] = [
    {
      db: 'none',
      label: 'async plain',
      rows: calls,
      run: () => plainAsync(plain, calls),
      verify: check('async plain'),
    },
    {
      db: 'none',
      label: 'async @Timed',
      rows: calls,
      run: () => timedAsync(timed, calls),
      verify: check('async @Timed', 'bench.find'),
    },
    { db: 'none', label: 'sync plain', rows: calls, run: () => plainSync(plain, calls), verify: check('sync plain') },
    {
      db: 'none',
      label: 'sync @Timed',
      rows: calls,
      run: () => timedSync(timed, calls),
      verify: check('sync @Timed', 'bench.findSync'),
    },
  ];
  // Each repetition starts from empty metrics (untimed), so the verify step can count the calls.
  const [plainAsyncResult, timedAsyncResult, plainSyncResult, timedSyncResult] = await interleave(
    contenders,
    REPS,
    () => resetTimedMetrics(),
    { warmup: options.quick ? WARMUP_QUICK : 1 },
  );
  resetTimedMetrics();
  const nsPerCall = (result: { medianMs: number } | undefined) => ((result?.medianMs ?? Number.NaN) * 1e6) / calls;
  const plainNsPerCall = nsPerCall(plainAsyncResult);
  const timedNsPerCall = nsPerCall(timedAsyncResult);
  return {
    plainNsPerCall,
    timedNsPerCall,
    timedOverheadNs: timedNsPerCall - plainNsPerCall,
    plainSyncNsPerCall: nsPerCall(plainSyncResult),
    timedSyncNsPerCall: nsPerCall(timedSyncResult),
  };
}
