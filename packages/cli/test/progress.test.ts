import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/progress.js';

function stream(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number; text: () => string };
  out.isTTY = isTTY;
  out.columns = 120;
  out.text = () => chunks.join('');
  return out;
}

const EVENTS = [
  { phase: 'baseline', round: 0, done: 1, total: 1, picked: 0 },
  { phase: 'round', round: 1, done: 0, total: 4, picked: 0 },
  { phase: 'round', round: 1, done: 3, total: 4, picked: 0 },
  { phase: 'round', round: 2, done: 0, total: 3, picked: 1 },
  { phase: 'final', round: 0, done: 1, total: 1, picked: 1 },
] as const;

describe('progress output', () => {
  it('without a TTY: one plain line per phase and round', () => {
    const out = stream(false);
    const progress = createProgress(out);
    for (const event of EVENTS) progress.onProgress(event);
    progress.stop();
    expect(out.text()).toBe(
      'stratum: planned every query without new indexes\n' +
        'stratum: round 1: evaluating 4 candidates (0 picked)\n' +
        'stratum: round 2: evaluating 3 candidates (1 picked)\n' +
        'stratum: done, 1 indexes picked\n',
    );
  });

  it('on a TTY: a bar per round, redrawn in place', () => {
    const out = stream(true);
    const progress = createProgress(out);
    for (const event of EVENTS) progress.onProgress(event);
    progress.stop();
    const text = out.text();
    expect(text).toContain('stratum: round 1 [');
    expect(text).toContain('] 3/4 candidates, 0 picked');
    expect(text).toContain('stratum: round 2 [');
    expect(text).toContain('\u001b['); // cursor control: the bar redraws its line
  });
});
