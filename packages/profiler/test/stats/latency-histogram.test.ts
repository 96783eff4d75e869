import { InvalidArgumentError } from '@stratum/core';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/stats/latency-histogram.js';

const MS = 1_000_000;
const HOUR_NS = 3_600_000_000_000;

/** hdr-histogram-js configured as LatencyHistogram's layout: the reference its percentiles must match. */
function referenceHistogram() {
  return build({
    bitBucketSize: 64,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HOUR_NS,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('LatencyHistogram', () => {
  it('summarizes nothing as zeros', () => {
    const latency = new LatencyHistogram();
    expect(latency.count).toBe(0);
    expect(latency.summary()).toEqual({
      count: 0,
      minMs: 0,
      maxMs: 0,
      meanMs: 0,
      p50Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      totalMs: 0,
    });
    expect(latency.percentileMs(50)).toBe(0);
  });

  it('gives percentiles within HDR precision and exact min, max, mean and total (1..1000 ms)', () => {
    const latency = new LatencyHistogram();
    for (let ms = 1000; ms >= 1; ms--) {
      latency.record(ms * MS);
    }
    const summary = latency.summary();
    expect(summary.count).toBe(1000);
    expect(summary.minMs).toBe(1);
    expect(summary.maxMs).toBe(1000);
    expect(summary.meanMs).toBe(500.5);
    expect(summary.totalMs).toBe(500_500);
    // 3 significant digits: within 0.1% of the true value.
    expect(Math.abs(summary.p50Ms - 500) / 500).toBeLessThan(0.001);
    expect(Math.abs(summary.p95Ms - 950) / 950).toBeLessThan(0.001);
    expect(Math.abs(summary.p99Ms - 990) / 990).toBeLessThan(0.001);
    expect(latency.percentileMs(0)).toBe(1);
    expect(latency.percentileMs(100)).toBe(1000);
    expect(latency.percentilesMs([99, 50, 90])).toEqual([summary.p99Ms, summary.p50Ms, latency.percentileMs(90)]);
  });

  it('answers exactly what hdr-histogram-js answers for the same values', () => {
    const next = random(42);
    const latency = new LatencyHistogram();
    const reference = referenceHistogram();
    const values: number[] = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, HOUR_NS - 1, HOUR_NS];
    for (let k = 1; k < 42; k++) {
      values.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
    }
    for (let i = 0; i < 50_000; i++) {
      // Log-uniform over 1 ns .. 1 h, plus a cluster around 1-3 ms.
      values.push(Math.floor(Math.exp(next() * Math.log(HOUR_NS))), Math.floor(1e6 + next() * 2e6));
    }
    for (const value of values) {
      latency.record(value);
      reference.recordValue(value);
    }
    const percentiles = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.999];
    expect(latency.percentilesMs(percentiles).map((ms) => Math.round(ms * MS))).toEqual(
      // LatencyHistogram keeps a percentile inside the exact [min, max]; the reference may overshoot max.
      percentiles.map((p) => Math.min(reference.getValueAtPercentile(p), HOUR_NS)),
    );
    expect(latency.toHdrHistogram().totalCount).toBe(values.length);
    expect(encodeIntoCompressedBase64(latency.toHdrHistogram())).toBe(encodeIntoCompressedBase64(reference));
  });

  it('answers as hdr-histogram-js for query latencies with a gap of empty ranges up to one slow outlier', () => {
    const next = random(7);
    const latency = new LatencyHistogram();
    const reference = referenceHistogram();
    const values = Array.from({ length: 20_000 }, () => Math.floor(50_000 + next() * 150_000)); // 50-200 µs
    values.push(HOUR_NS - 5, 1500);
    for (const value of values) {
      latency.record(value);
      reference.recordValue(value);
    }
    const percentiles = [0, 1, 50, 95, 99, 99.99, 99.999, 100];
    expect(latency.percentilesMs(percentiles).map((ms) => Math.round(ms * MS))).toEqual(
      percentiles.map((p) => Math.min(reference.getValueAtPercentile(p), HOUR_NS - 5)),
    );
    expect(encodeIntoCompressedBase64(latency.toHdrHistogram())).toBe(encodeIntoCompressedBase64(reference));
  });

  it('keeps fractions of a nanosecond in the sum and clamps durations over an hour in the percentiles only', () => {
    const latency = new LatencyHistogram();
    latency.record(0.5);
    latency.record(1.25);
    expect(latency.summary().totalMs).toBeCloseTo(1.75 / MS, 15);
    latency.record(2 * HOUR_NS);
    const summary = latency.summary();
    expect(summary.maxMs).toBe((2 * HOUR_NS) / MS);
    expect(summary.p99Ms).toBeLessThanOrEqual(summary.maxMs);
    expect(summary.p99Ms).toBeGreaterThanOrEqual(HOUR_NS / MS);
  });

  it('rejects what is not a non-negative number of nanoseconds', () => {
    const latency = new LatencyHistogram();
    for (const bad of [-1, Number.NaN, '5', 5n, undefined, null]) {
      expect(() => latency.record(bad as number)).toThrow(InvalidArgumentError);
    }
    expect(() => latency.record(-1)).toThrow('ns must be a non-negative number of nanoseconds, but got: -1.');
    expect(latency.count).toBe(0);
    latency.record(Number.POSITIVE_INFINITY); // counted at the top of the range
    expect(latency.count).toBe(1);
    expect(() => latency.percentileMs(101)).toThrow(InvalidArgumentError);
    expect(() => latency.percentilesMs([50, -1])).toThrow('percentile must be a number from 0 to 100');
  });

  it('reset() forgets everything and recording starts over', () => {
    const latency = new LatencyHistogram();
    latency.record(5 * MS);
    latency.reset();
    expect(latency.summary().count).toBe(0);
    latency.record(2 * MS);
    expect(latency.summary()).toMatchObject({ count: 1, minMs: 2, maxMs: 2, p50Ms: 2, totalMs: 2 });
  });

  it('merge() adds the other histogram, leaving it unchanged', () => {
    const fast = new LatencyHistogram();
    const slow = new LatencyHistogram();
    const reference = new LatencyHistogram();
    for (let ms = 1; ms <= 100; ms++) {
      fast.record(ms * MS);
      slow.record((ms + 900) * MS);
      reference.record(ms * MS);
      reference.record((ms + 900) * MS);
    }
    const merged = new LatencyHistogram().merge(fast).merge(slow).merge(new LatencyHistogram());
    expect(merged.summary()).toEqual(reference.summary());
    expect(fast.summary()).toMatchObject({ count: 100, maxMs: 100 });
    expect(() => merged.merge({} as LatencyHistogram)).toThrow(InvalidArgumentError);
  });

  it('merging a histogram into itself doubles it; counts past 2^32 stay exact', () => {
    const latency = new LatencyHistogram();
    latency.record(3 * MS);
    latency.record(5 * MS);
    for (let i = 0; i < 33; i++) {
      latency.merge(latency); // 2^33 of each value: past what 32-bit counts hold
    }
    const summary = latency.summary();
    expect(summary.count).toBe(2 ** 34);
    expect(summary.minMs).toBe(3);
    expect(summary.maxMs).toBe(5);
    expect(summary.meanMs).toBe(4);
    expect(Math.abs(summary.p50Ms - 3) / 3).toBeLessThan(0.001);
    expect(Math.abs(summary.p99Ms - 5) / 5).toBeLessThan(0.001);
    expect(latency.toHdrHistogram().totalCount).toBe(2 ** 34);
  });
});
