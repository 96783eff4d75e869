import { describe, expect, it } from 'vitest';
import { type BenchReport, formatReport, interleave, median, ratios, toResult } from './harness.js';

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
