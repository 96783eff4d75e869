import { InvalidArgumentError } from '@stratum/core';
import { build, type Histogram } from 'hdr-histogram-js';

/** Latency figures of a {@link LatencyHistogram}, in milliseconds (fractional). All zero when `count` is 0. */
export interface LatencySummary {
  /** Values recorded. */
  count: number;
  /** Exact smallest value. */
  minMs: number;
  /** Exact largest value. */
  maxMs: number;
  /** Exact mean (`totalMs / count`). */
  meanMs: number;
  /** Median, within the histogram's precision (3 significant digits). */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Exact sum of every value. */
  totalMs: number;
}

/** Highest value the histogram tracks: 1 hour. Larger values count as 1 hour in the percentiles (min/max/mean stay exact). */
const HIGHEST_NS = 3_600_000_000_000;
const NS_PER_MS = 1_000_000;
/**
 * The HDR layout for 1 ns .. 1 hour at 3 significant digits (what `hdr-histogram-js` computes for
 * `lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_NS, numberOfSignificantValueDigits: 3`):
 * unit magnitude 0, 2048 sub-buckets (half: 1024, magnitude 10), 32 buckets, 33 * 1024 counts.
 */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const COUNTS_LENGTH = 33 * SUB_BUCKET_HALF_COUNT;
const UINT32_LIMIT = 0xffff_ffff;
/**
 * The counts are kept in chunks of 1024 (a sub-bucket half: one HDR bucket from 2048 ns up, the first
 * 2048 ns in two), each allocated when a value first lands in it: a query's latencies fill a few.
 */
const CHUNK_BITS = SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const CHUNK_LENGTH = 1 << CHUNK_BITS;
const CHUNKS = COUNTS_LENGTH / CHUNK_LENGTH;

type Chunk = Uint32Array | Float64Array;

/**
 * The HDR counts index of `value` (an integer, 0 .. HIGHEST_NS): the formula of `hdr-histogram-js`
 * (`getBucketIndex`, `getSubBucketIndex`, `computeCountsArrayIndex`), with integer operations where the
 * value fits 31 bits. Exactly the same index.
 */
function countsIndex(value: number): number {
  if (value < 0x8000_0000) {
    // floor(log2(value | 2047)) - 10, clamped at bucket 0 by the `| 2047`.
    const bucket = 31 - Math.clz32(value | 2047) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
    return (bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (value >>> bucket);
  }
  const bucket = Math.floor(Math.log2(value)) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
  return bucket * SUB_BUCKET_HALF_COUNT + Math.floor(value / 2 ** bucket);
}

/** The lowest value counted at `index` (hdr-histogram-js's `valueFromIndex`). */
function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let subBucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    subBucket -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return subBucket * 2 ** bucket;
}

/** The highest value counted at `index` (hdr-histogram-js's `highestEquivalentValue(valueFromIndex(index))`). */
function highestValueAtIndex(index: number): number {
  const bucket = Math.max((index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1, 0);
  return valueAtIndex(index) + 2 ** bucket - 1;
}

/** The unit in the last place of `x` (hdr-histogram-js's `ulp`). */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(x)) - 52);
}

/**
 * Durations in nanoseconds, summarized as percentiles: an HDR histogram (1 ns .. 1 hour, 3 significant
 * digits, so a percentile is within 0.1% of the true value) plus the exact count, sum, min and max.
 *
 * Values are plain `number`s of nanoseconds, not `bigint`s: a number is exact up to 2^53 ns (104 days)
 * and is what the histogram indexes, so the hot path converts nothing. From `process.hrtime.bigint()`
 * pass `Number(end - start)`; from `performance.now()` pass `(end - start) * 1e6` (fractions of a
 * nanosecond are dropped in the percentiles, kept in the sum).
 *
 * The counts use exactly the layout of `hdr-histogram-js` (same buckets, same percentile algorithm, so the
 * same answers; the tests check it against the library), but `record` only increments one count with
 * integer arithmetic: about 10 ns, where the library's pure-JS `recordValue` costs 30-70 ns (and its
 * WebAssembly one needs explicit freeing). {@link summary} scans the counts once (tens of µs);
 * {@link toHdrHistogram} hands over a real `hdr-histogram-js` histogram for encoding or plotting.
 * The counts (32-bit, widened to 64-bit if one ever overflows) are allocated 4 KiB at a time, one chunk
 * per power of two the values span: query latencies from 10 µs to 5 ms take 10 chunks (40 KiB), those
 * of one query shape usually 1–3, instead of the 132 KiB of the whole layout (the always-on profiler
 * keeps one histogram per shape, 200 by default). An unused `LatencyHistogram` costs almost nothing.
 *
 * @example
 * ```ts
 * const latency = new LatencyHistogram();
 * const started = process.hrtime.bigint();
 * await doWork();
 * latency.record(Number(process.hrtime.bigint() - started));
 * latency.summary(); // { count: 1, minMs: 12.3, maxMs: 12.3, meanMs: 12.3, p50Ms: 12.3, ... }
 * ```
 */
export class LatencyHistogram {
  /** {@link CHUNKS} chunks of counts, each undefined until a value lands in it; undefined until the first. */
  #chunks: (Chunk | undefined)[] | undefined;
  #count = 0;
  #totalNs = 0;
  #minNs = Number.POSITIVE_INFINITY;
  #maxNs = 0;

  /** Values recorded since creation or the last {@link reset}. */
  get count(): number {
    return this.#count;
  }

  /**
   * Records one duration of `ns` nanoseconds (a non-negative number; fractions are allowed).
   *
   * @example
   * ```ts
   * const latency = new LatencyHistogram();
   * latency.record(1_500_000); // 1.5 ms
   * latency.count; // 1
   * ```
   */
  record(ns: number): void {
    if (typeof ns !== 'number' || !(ns >= 0)) {
      throw new InvalidArgumentError('ns', 'a non-negative number of nanoseconds', ns);
    }
    this.#count++;
    this.#totalNs += ns;
    if (ns < this.#minNs) {
      this.#minNs = ns;
    }
    if (ns > this.#maxNs) {
      this.#maxNs = ns;
    }
    const index = countsIndex(ns < HIGHEST_NS ? Math.trunc(ns) : HIGHEST_NS);
    const chunks = this.#chunks ?? this.#allocate();
    const at = index >>> CHUNK_BITS;
    const chunk = chunks[at] ?? this.#allocateChunk(at);
    const offset = index & (CHUNK_LENGTH - 1);
    const count = (chunk[offset] as number) + 1;
    if (count > UINT32_LIMIT && chunk instanceof Uint32Array) {
      this.#widen(at)[offset] = count;
    } else {
      chunk[offset] = count;
    }
  }

  /**
   * The value at `percentile` (0..100) in milliseconds, within 0.1%; 0 when nothing was recorded.
   *
   * @example
   * ```ts
   * const latency = new LatencyHistogram();
   * for (let ms = 1; ms <= 100; ms++) latency.record(ms * 1e6);
   * latency.percentileMs(90); // ≈ 90
   * ```
   */
  percentileMs(percentile: number): number {
    assertPercentile(percentile);
    return this.percentilesMs([percentile])[0] as number;
  }

  /**
   * Several percentiles (each 0..100) at once, in milliseconds, in the order asked.
   *
   * @example
   * ```ts
   * const [p90, p999] = latency.percentilesMs([90, 99.9]);
   * ```
   */
  percentilesMs(percentiles: readonly number[]): number[] {
    percentiles.forEach(assertPercentile);
    const chunks = this.#chunks;
    const total = this.#count;
    if (total === 0 || chunks === undefined) {
      return percentiles.map(() => 0);
    }
    // hdr-histogram-js's getValueAtPercentile, for all the percentiles in one pass over the counts.
    const order = percentiles.map((_, i) => i).sort((x, y) => (percentiles[x] as number) - (percentiles[y] as number));
    const thresholds = order.map((at) => {
      const fpCount = ((percentiles[at] as number) / 100) * total;
      return Math.max(Math.ceil(fpCount - ulp(fpCount)), 1);
    });
    const out = percentiles.map(() => this.#maxNs / NS_PER_MS);
    let next = 0;
    let threshold = thresholds[0] as number;
    let seen = 0;
    for (let at = 0; at < CHUNKS; at++) {
      // An empty chunk adds nothing to `seen`: no threshold is crossed in it.
      const chunk = chunks[at];
      if (chunk === undefined) {
        continue;
      }
      for (let offset = 0; offset < CHUNK_LENGTH; offset++) {
        const count = chunk[offset] as number;
        if (count === 0) {
          continue;
        }
        seen += count;
        const index = (at << CHUNK_BITS) + offset;
        while (seen >= threshold) {
          const which = order[next] as number;
          const ns = percentiles[which] === 0 ? valueAtIndex(index) : highestValueAtIndex(index);
          // The histogram answers a bucket's bound: keep it inside the exact range.
          out[which] = Math.min(Math.max(ns, this.#minNs), this.#maxNs) / NS_PER_MS;
          next++;
          if (next === order.length) {
            return out;
          }
          threshold = thresholds[next] as number;
        }
      }
    }
    return out;
  }

  /**
   * A copy as an `hdr-histogram-js` histogram (64-bit counts, values in nanoseconds), e.g. to encode it
   * with `encodeIntoCompressedBase64` for HdrHistogram's plotters, or to print
   * `outputPercentileDistribution()`. Costs about a millisecond; not needed for {@link summary}.
   *
   * @example
   * ```ts
   * import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
   * const encoded = encodeIntoCompressedBase64(latency.toHdrHistogram());
   * ```
   */
  toHdrHistogram(): Histogram {
    const hdr = build({
      bitBucketSize: 64,
      autoResize: false,
      lowestDiscernibleValue: 1,
      highestTrackableValue: HIGHEST_NS,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
    for (const [at, chunk] of (this.#chunks ?? []).entries()) {
      for (let offset = 0; chunk !== undefined && offset < CHUNK_LENGTH; offset++) {
        const count = chunk[offset] as number;
        if (count > 0) {
          hdr.recordValueWithCount(valueAtIndex((at << CHUNK_BITS) + offset), count);
        }
      }
    }
    return hdr;
  }

  /**
   * Count, exact min/max/mean/total and the p50/p95/p99 percentiles, in milliseconds.
   *
   * @example
   * ```ts
   * const latency = new LatencyHistogram();
   * latency.record(2e6);
   * latency.record(4e6);
   * latency.summary(); // { count: 2, minMs: 2, maxMs: 4, meanMs: 3, p50Ms: 2, p95Ms: 4, p99Ms: 4, totalMs: 6 }
   * ```
   */
  summary(): LatencySummary {
    const count = this.#count;
    if (count === 0) {
      return { count: 0, minMs: 0, maxMs: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, totalMs: 0 };
    }
    const [p50Ms = 0, p95Ms = 0, p99Ms = 0] = this.percentilesMs([50, 95, 99]);
    return {
      count,
      minMs: this.#minNs / NS_PER_MS,
      maxMs: this.#maxNs / NS_PER_MS,
      meanMs: this.#totalNs / count / NS_PER_MS,
      p50Ms,
      p95Ms,
      p99Ms,
      totalMs: this.#totalNs / NS_PER_MS,
    };
  }

  /**
   * Forgets every value (the counts' memory is kept for reuse).
   *
   * @example
   * ```ts
   * const latency = new LatencyHistogram();
   * latency.record(1e6);
   * latency.reset();
   * latency.count; // 0
   * ```
   */
  reset(): void {
    for (const chunk of this.#chunks ?? []) {
      chunk?.fill(0);
    }
    this.#count = 0;
    this.#totalNs = 0;
    this.#minNs = Number.POSITIVE_INFINITY;
    this.#maxNs = 0;
  }

  /**
   * Adds every value of `other` to this histogram (`other` is left unchanged). Returns `this`.
   *
   * @example
   * ```ts
   * const all = new LatencyHistogram();
   * for (const worker of workerHistograms) all.merge(worker);
   * all.summary().p99Ms;
   * ```
   */
  merge(other: LatencyHistogram): this {
    if (!(other instanceof LatencyHistogram)) {
      throw new InvalidArgumentError('other', 'a LatencyHistogram', other);
    }
    const sources = other.#chunks;
    if (other.#count === 0 || sources === undefined) {
      return this;
    }
    // Read `other` before writing: merging a histogram into itself doubles it.
    const { count, totalNs, minNs, maxNs } = other.#totals();
    const targets = this.#chunks ?? this.#allocate();
    for (let at = 0; at < CHUNKS; at++) {
      const source = sources[at];
      if (source === undefined) {
        continue;
      }
      let target = targets[at] ?? this.#allocateChunk(at);
      for (let offset = 0; offset < CHUNK_LENGTH; offset++) {
        const add = source[offset] as number;
        if (add > 0) {
          const sum = (target[offset] as number) + add;
          if (sum > UINT32_LIMIT && target instanceof Uint32Array) {
            target = this.#widen(at);
          }
          target[offset] = sum;
        }
      }
    }
    this.#count += count;
    this.#totalNs += totalNs;
    this.#minNs = Math.min(this.#minNs, minNs);
    this.#maxNs = Math.max(this.#maxNs, maxNs);
    return this;
  }

  #totals(): { count: number; totalNs: number; minNs: number; maxNs: number } {
    return { count: this.#count, totalNs: this.#totalNs, minNs: this.#minNs, maxNs: this.#maxNs };
  }

  #allocate(): (Chunk | undefined)[] {
    const chunks = new Array<Chunk | undefined>(CHUNKS).fill(undefined);
    this.#chunks = chunks;
    return chunks;
  }

  #allocateChunk(at: number): Uint32Array {
    const chunks = this.#chunks ?? this.#allocate();
    const chunk = new Uint32Array(CHUNK_LENGTH);
    chunks[at] = chunk;
    return chunk;
  }

  /** A count of chunk `at` would pass 2^32 - 1: move that chunk to 64-bit (float) counts, exact to 2^53. */
  #widen(at: number): Float64Array {
    const chunks = this.#chunks ?? this.#allocate();
    const widened = Float64Array.from(chunks[at] ?? new Uint32Array(CHUNK_LENGTH));
    chunks[at] = widened;
    return widened;
  }
}

function assertPercentile(percentile: number): void {
  if (typeof percentile !== 'number' || !(percentile >= 0 && percentile <= 100)) {
    throw new InvalidArgumentError('percentile', 'a number from 0 to 100', percentile);
  }
}
