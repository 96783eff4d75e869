// OperationDeadlines: one shared timer bounds every store operation of a Cache. What a caller sees:
// a hung operation rejects at its deadline (never much before, never much after), a settled one
// keeps its outcome, a late outcome is dropped, and the timer never keeps a process alive.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { OperationDeadlines } from '../src/operation-deadlines.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<never>(() => {});
const timeout = () => new Error('timed out');

describe('OperationDeadlines', () => {
  it('rejects an operation that never settles once its timeout has passed, not before', async () => {
    const deadlines = new OperationDeadlines(60);
    const started = performance.now();
    await expect(deadlines.run(never, timeout)).rejects.toThrow('timed out');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(59);
    expect(took).toBeLessThan(60 + 100);
    expect(deadlines.pending).toBe(0);
  });

  it('hands back the result or the error of an operation that settles in time', async () => {
    const deadlines = new OperationDeadlines(1000);
    expect(await deadlines.run(async () => 42, timeout)).toBe(42);
    await expect(deadlines.run(() => Promise.reject(new Error('store down')), timeout)).rejects.toThrow('store down');
    await expect(
      deadlines.run(() => {
        throw new Error('thrown synchronously');
      }, timeout),
    ).rejects.toThrow('thrown synchronously');
    expect(deadlines.pending).toBe(0);
  });

  it('times out each hung operation at its own deadline while later ones keep running', async () => {
    const deadlines = new OperationDeadlines(80);
    const started = performance.now();
    const outcomes: { index: number; at: number; outcome: string }[] = [];
    const runs = [0, 30, 60].map(async (delay, index) => {
      await sleep(delay);
      const begun = performance.now() - started;
      const outcome = await deadlines.run(never, timeout).catch((error: Error) => error.message);
      outcomes.push({ index, at: performance.now() - started - begun, outcome });
    });
    // Operations that finish quickly in between do not disturb the hung ones' deadlines.
    for (let i = 0; i < 50; i++) expect(await deadlines.run(async () => i, timeout)).toBe(i);
    await Promise.all(runs);
    expect(outcomes.map((o) => o.index)).toEqual([0, 1, 2]);
    for (const { at, outcome } of outcomes) {
      expect(outcome).toBe('timed out');
      expect(at).toBeGreaterThanOrEqual(79);
      expect(at).toBeLessThan(80 + 100);
    }
  });

  it('drops an outcome that arrives after the deadline', async () => {
    const deadlines = new OperationDeadlines(20);
    let settle!: (value: string) => void;
    const late = deadlines.run(() => new Promise<string>((resolve) => (settle = resolve)), timeout);
    await expect(late).rejects.toThrow('timed out');
    settle('too late'); // no unhandled rejection, no second outcome
    await sleep(5);
    expect(deadlines.pending).toBe(0);
  });

  it('never keeps a process alive: a process with a hung operation still exits', async () => {
    const module = fileURLToPath(new URL('../src/operation-deadlines.ts', import.meta.url));
    const script = `
      const { OperationDeadlines } = await import(${JSON.stringify(module)});
      new OperationDeadlines(60_000).run(() => new Promise(() => {}), () => new Error('x')).catch(() => {});
      console.log('started');
    `;
    const started = performance.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', script],
      { timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('started');
    expect(performance.now() - started).toBeLessThan(10_000); // not the 60 s deadline
  });
});
