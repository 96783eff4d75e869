import { describe, expect, it } from 'vitest';
import {
  type BenchReport,
  formatReport,
  interleave,
  median,
  pairedSliceTimeRatio,
  pairedTimeRatio,
  ratios,
  toResult,
} from './harness.js';

describe('bench harness', () => {
  it('median: middle value, or mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('interleave: warm-up round, then alternating round-robin reps; verify once, untimed, before after()', async () => {
    const calls: string[] = [];
    const contender = (label: string) => ({
      db: 'x',
      label,
      rows: 10,
      before: () => {
        calls.push(`before ${label}`);
      },
      run: () => {
        calls.push(label);
      },
      verify: () => {
        calls.push(`verify ${label}`);
      },
      after: () => {
        calls.push(`after ${label}`);
      },
    });
    const results = await interleave([contender('A'), contender('B')], 5, (c) => {
      calls.push(`setup ${c.label}`);
    });
    const runs = calls.filter((c) => c === 'A' || c === 'B');
    // warm-up AB, then BA AB BA AB BA: each contender runs first in some rounds, second in others
    expect(runs.join('')).toBe(`AB${'BAAB'.repeat(2)}BA`);
    expect(calls.slice(0, 5)).toEqual(['setup A', 'before A', 'A', 'verify A', 'after A']);
    expect(calls.filter((c) => c.startsWith('verify'))).toEqual(['verify A', 'verify B']);
    expect(results.map((r) => [r.label, r.reps, r.samplesMs.length])).toEqual([
      ['A', 5, 5],
      ['B', 5, 5],
    ]);
  });

  it('interleave with slices: contenders take turns slice by slice, a repetition is timed as the sum of its slices', async () => {
    const calls: string[] = [];
    const contender = (label: string, msPerSlice: number) => ({
      db: 'x',
      label,
      rows: 10,
      before: () => {
        calls.push(`before ${label}`);
      },
      run: async (slice: number) => {
        calls.push(`${label}${slice}`);
        await new Promise((resolve) => setTimeout(resolve, msPerSlice));
      },
      verify: () => {
        calls.push(`verify ${label}`);
      },
    });
    const [a, b] = await interleave([contender('A', 2), contender('B', 12)], 5, undefined, { warmup: 1, slices: 3 });
    const runs = calls.filter((c) => /^[AB]\d$/.test(c));
    // warm-up: A B, B A, A B by slice; the next round starts reversed
    expect(runs.slice(0, 6)).toEqual(['A0', 'B0', 'B1', 'A1', 'A2', 'B2']);
    expect(runs.slice(6, 12)).toEqual(['B0', 'A0', 'A1', 'B1', 'B2', 'A2']);
    expect(runs).toHaveLength(6 * 6);
    expect(calls.filter((c) => c.startsWith('before'))).toHaveLength(6 * 6);
    expect(calls.filter((c) => c.startsWith('verify'))).toEqual(['verify A', 'verify B']);
    // three slices of 12 ms are timed as one repetition of at least 36 ms
    expect(Math.min(...(b?.samplesMs ?? []))).toBeGreaterThanOrEqual(35);
    expect(Math.min(...(a?.samplesMs ?? []))).toBeGreaterThanOrEqual(5);
    expect(pairedTimeRatio(b as never, a as never)).toBeGreaterThan(1.5);
    // every timed slice is kept, in run order: 5 repetitions of 3
    expect(b?.sliceSamplesMs).toHaveLength(15);
    expect(Math.min(...(b?.sliceSamplesMs ?? []))).toBeGreaterThanOrEqual(11);
    expect(pairedSliceTimeRatio(b as never, a as never)).toBeGreaterThan(1.5);
    await expect(interleave([], 5, undefined, { slices: 0 })).rejects.toThrow(RangeError);
  });

  it('pairedTimeRatio: the median of the per-repetition ratios, so a slow phase that hits both sides cancels out', () => {
    // repetitions 2 and 4 ran in a slow phase of the machine (both sides 3× slower), repetition 5 on one side only
    const plain = toResult({ db: 'x', label: 'plain', rows: 1 }, [100, 300, 100, 300, 100]);
    const profiled = toResult({ db: 'x', label: 'profiled', rows: 1 }, [110, 330, 110, 330, 330]);
    expect(pairedTimeRatio(profiled, plain)).toBe(1.1);
    // the ratio of the medians is thrown off by it
    expect(profiled.medianMs / plain.medianMs).toBe(3.3);
    const short = toResult({ db: 'x', label: 'short', rows: 1 }, [1, 2]);
    expect(() => pairedTimeRatio(short, plain)).toThrow(RangeError);
  });

  it('pairedSliceTimeRatio: the median of the per-slice ratios, so one disturbed slice moves it little', () => {
    const plain = { ...toResult({ db: 'x', label: 'plain', rows: 1 }, [1]), sliceSamplesMs: [10, 30, 10, 10, 10] };
    const profiled = {
      ...toResult({ db: 'x', label: 'profiled', rows: 1 }, [1]),
      sliceSamplesMs: [11, 33, 11, 40, 11],
    };
    expect(pairedSliceTimeRatio(profiled, plain)).toBe(1.1);
    expect(() => pairedSliceTimeRatio(toResult({ db: 'x', label: 'none', rows: 1 }, [1]), plain)).toThrow(RangeError);
  });

  it('interleave refuses fewer than 5 timed repetitions', async () => {
    await expect(interleave([], 3)).rejects.toThrow(RangeError);
  });

  it('ratios and the text table', () => {
    const results = [
      toResult({ db: 'sqlite', label: 'stratum', rows: 1000 }, [10, 10, 10, 10, 10]),
      toResult({ db: 'sqlite', label: 'raw', rows: 1000 }, [8, 8, 8, 8, 8]),
    ];
    expect(results[0]?.rowsPerSec).toBe(100_000);
    const r = ratios(results, ['sqlite', 'postgresql'], [['stratum', 'raw']]);
    expect(r).toEqual({ 'sqlite:stratum/raw': 0.8 });
    const report: BenchReport = {
      name: 'demo',
      env: { node: 'v24', mikroOrm: '7.2.1', cpus: 2, quick: true },
      results,
      ratios: r,
    };
    const text = formatReport(report);
    expect(text).toContain('sqlite:stratum/raw');
    expect(text).toMatch(/sqlite\s+stratum\s+1,000\s+10\.0\s+100,000/);
  });
});
