// Stampede protection across processes, with real processes and a real Redis: worker processes
// (fixtures/stampede-worker.ts) and this one each open their own Cache over one RedisStore and call
// `wrap('hot', slowLoader)` at the same moment (each worker BLPOPs its start token; this process
// pushes them all, then calls wrap itself). The loader counts its calls with an INCR in Redis, so
// the count covers every process. No mocks: the lock is the store's SET NX PX and Lua unlock.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { InvalidArgumentError } from '@stratum/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRedis, useRedisPrefix } from '../../../test/harness/index.js';
import { Cache, type CacheStore, MemoryStore, RedisKeys, RedisStore } from '../src/index.js';
import {
  openStampedeCache,
  STAMPEDE_KEY,
  type StampedeSettings,
  slowLoader,
  stampedeKeys,
} from './fixtures/stampede-shared.js';
import type { StampedeReport } from './fixtures/stampede-worker.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const WORKER = new URL('./fixtures/stampede-worker.ts', import.meta.url).pathname;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Timers, event loops and process scheduling on top of the expected durations. */
const SLACK_MS = 500;

const DEFAULTS: StampedeSettings = {
  loadMs: 200,
  lockTtlMs: 5_000,
  lockWaitMs: 2_000,
  ttlMs: 60_000,
  staleWhileRevalidateMs: 0,
};

/** A running worker process: when it is ready, when its loader started, its report, and how to kill it. */
interface Worker {
  readonly ready: Promise<void>;
  readonly holding: Promise<void>;
  readonly report: Promise<StampedeReport>;
  readonly child: ChildProcess;
}

function startWorker(name: string, env: Record<string, string>): Worker {
  const child = spawn(NODE, ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register', WORKER], {
    cwd: ROOT,
    env: { ...process.env, ...env, STAMPEDE_WORKER: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onReady!: () => void;
  let onHolding!: () => void;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const holding = new Promise<void>((resolve) => {
    onHolding = resolve;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split('\n');
    if (lines.includes('ready')) onReady();
    if (lines.includes('holding')) onHolding();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const report = new Promise<StampedeReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // The report is the last JSON line (a background refresh may print `holding` after it).
      const last = stdout.split('\n').findLast((line) => line.startsWith('{')) ?? '';
      if (code !== 0 || last === '') {
        reject(new Error(`worker ${name} exited with ${signal ?? code}:\n${stderr}\n${stdout}`));
        return;
      }
      resolve(JSON.parse(last) as StampedeReport);
    });
  });
  report.catch(() => {}); // a killed worker's report is never awaited
  return { ready, holding, report, child };
}

describeWithRedis('stampede protection across processes (real processes, real Redis)', () => {
  const redis = useRedisPrefix();
  let client: Redis;
  let control: Redis;
  const workers: Worker[] = [];
  let runs = 0;

  beforeAll(async () => {
    client = new Redis(redis.url);
    control = new Redis(redis.url);
    await client.ping();
  });

  afterEach(() => {
    for (const worker of workers.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  });

  afterAll(() => {
    client?.disconnect();
    control?.disconnect();
  });

  /** A fresh run: its key prefix, settings, this process's cache, and how to start and release workers. */
  function openRun(overrides: Partial<StampedeSettings> = {}) {
    const run = `${redis.prefix}stampede${++runs}:`;
    const settings: StampedeSettings = { ...DEFAULTS, ...overrides };
    const keys = stampedeKeys(run);
    const cache = openStampedeCache(client, run, settings);
    const env = (extra: Record<string, string> = {}): Record<string, string> => ({
      STAMPEDE_REDIS_URL: redis.url,
      STAMPEDE_RUN: run,
      STAMPEDE_SETTINGS: JSON.stringify(settings),
      ...extra,
    });
    const start = async (count: number, extra: Record<string, string> = {}): Promise<Worker[]> => {
      const started = Array.from({ length: count }, (_, i) => startWorker(`worker${i + 1}`, env(extra)));
      workers.push(...started);
      await Promise.all(started.map((worker) => worker.ready));
      return started;
    };
    /** Releases `count` workers and calls wrap() here at the same moment; this process's answer and timing. */
    const go = async (count: number, load: () => Promise<string>) => {
      await control.rpush(keys.go, ...Array.from({ length: count }, () => 'go'));
      const started = performance.now();
      const value = await cache.wrap(STAMPEDE_KEY, load, {
        ttlMs: settings.ttlMs,
        staleWhileRevalidateMs: settings.staleWhileRevalidateMs,
      });
      return { value, ms: performance.now() - started };
    };
    const loads = async (): Promise<number> => Number((await client.get(keys.loads)) ?? 0);
    /** Whether the stampede lock of the key is held (its Redis key, as the store lays it out). */
    const lockHeld = async (): Promise<boolean> =>
      (await client.exists(new RedisKeys(keys.namespace).lock(`app:${STAMPEDE_KEY}`))) === 1;
    return { run, settings, keys, cache, start, go, loads, lockHeld };
  }

  it('runs the loader once when 4 processes miss the same cold key at once, and every caller gets its value', async () => {
    const { run, settings, cache, start, go, loads } = openRun();
    const started = await start(3);
    const here = await go(3, slowLoader(client, run, settings, 'parent'));
    const reports = await Promise.all(started.map((worker) => worker.report));

    expect(await loads()).toBe(1);
    const values = [here.value, ...reports.map((report) => report.value)];
    expect(new Set(values).size).toBe(1);
    expect(values[0]).toMatch(/#1$/);
    // The ones that waited got the value as soon as it landed (a hit: they did not call the source).
    const hits = reports.reduce((sum, report) => sum + report.hits, 0) + cache.stats().hits;
    const misses = reports.reduce((sum, report) => sum + report.misses, 0) + cache.stats().misses;
    expect({ hits, misses }).toEqual({ hits: 3, misses: 1 });
    for (const ms of [here.ms, ...reports.map((report) => report.ms)]) {
      expect(ms).toBeLessThan(settings.loadMs + SLACK_MS);
    }
  });

  it('lets a second process take over when the lock expires mid-load: at most 2 loads, every caller gets a value', async () => {
    // A load of 300 ms under a 200 ms lock: the lock lapses at ~200 ms and a waiter takes it over;
    // the first value lands at ~300 ms, before the second lock lapses, so no third process loads.
    const { run, settings, start, go, loads } = openRun({ loadMs: 300, lockTtlMs: 200 });
    const started = await start(3);
    const here = await go(3, slowLoader(client, run, settings, 'parent'));
    const reports = await Promise.all(started.map((worker) => worker.report));

    const count = await loads();
    console.log(`[stampede] lock ${settings.lockTtlMs} ms < load ${settings.loadMs} ms: ${count} loads`);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(Math.ceil(settings.loadMs / settings.lockTtlMs)); // 2
    for (const value of [here.value, ...reports.map((report) => report.value)]) {
      expect(value).toMatch(/^(parent|worker\d)#[12]$/);
    }
  });

  it('when the process holding the lock dies, another loads once the lock expires (lockTtlMs); none hangs', async () => {
    const { run, settings, keys, start, go, loads, lockHeld } = openRun({
      loadMs: 100,
      lockTtlMs: 600,
      lockWaitMs: 10_000,
    });
    const [doomed] = await start(1, { STAMPEDE_MODE: 'die-holding-lock' });
    const survivors = await start(2);
    await control.rpush(keys.goFirst, 'go');
    await doomed!.holding; // it took the lock and started loading ...
    const lockedAt = performance.now();
    expect(await lockHeld()).toBe(true);
    doomed!.child.kill('SIGKILL'); // ... and dies without releasing it
    const here = await go(2, slowLoader(client, run, settings, 'parent'));
    const reports = await Promise.all(survivors.map((worker) => worker.report));
    const waited = performance.now() - lockedAt;

    expect(await loads()).toBe(2); // the dead one's, then exactly one survivor's
    const values = new Set([here.value, ...reports.map((report) => report.value)]);
    expect(values.size).toBe(1);
    expect([...values][0]).toMatch(/#2$/);
    expect(waited).toBeGreaterThanOrEqual(settings.lockTtlMs - 50);
    expect(waited).toBeLessThan(settings.lockTtlMs + settings.loadMs + SLACK_MS);
  });

  it('when the process holding the lock dies, the others load by themselves after lockWaitMs; none hangs', async () => {
    const { run, settings, keys, start, go, loads } = openRun({ loadMs: 100, lockTtlMs: 30_000, lockWaitMs: 400 });
    const [doomed] = await start(1, { STAMPEDE_MODE: 'die-holding-lock' });
    const survivors = await start(2);
    await control.rpush(keys.goFirst, 'go');
    await doomed!.holding;
    doomed!.child.kill('SIGKILL');
    const here = await go(2, slowLoader(client, run, settings, 'parent'));
    const reports = await Promise.all(survivors.map((worker) => worker.report));

    // The lock outlives the test: every survivor waited lockWaitMs, then loaded (or found a value a
    // faster survivor had just written) — slower than one load, but nobody hung or failed.
    const count = await loads();
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(4);
    for (const { value, ms } of [here, ...reports]) {
      expect(value).toMatch(/^(parent|worker\d)#[2-4]$/);
      expect(ms).toBeGreaterThanOrEqual(settings.lockWaitMs - 50);
      expect(ms).toBeLessThan(settings.lockWaitMs + settings.loadMs + SLACK_MS);
    }
  });

  it('serves the stale value in every process at once while ONE process refreshes it', async () => {
    const { run, settings, start, go, loads, cache } = openRun({ loadMs: 300, staleWhileRevalidateMs: 60_000 });
    await cache.wrap(STAMPEDE_KEY, async () => 'old', { ttlMs: 50, staleWhileRevalidateMs: 60_000 });
    await sleep(100); // expired, within its stale window
    const started = await start(3, { STAMPEDE_LINGER_MS: String(settings.loadMs + SLACK_MS * 2) });
    const here = await go(3, slowLoader(client, run, settings, 'parent'));
    const reports = await Promise.all(started.map((worker) => worker.report));

    for (const { value, ms } of [here, ...reports]) {
      expect(value).toBe('old');
      expect(ms).toBeLessThan(settings.loadMs / 2); // at once, not after the refresh
    }
    // One refresh, in one process; then every process reads the new value.
    const deadline = Date.now() + settings.loadMs + SLACK_MS * 2;
    let fresh: string | undefined;
    while (Date.now() < deadline) {
      fresh = await cache.wrap(STAMPEDE_KEY, async () => 'not-refreshed', { ttlMs: settings.ttlMs });
      if (fresh !== 'old') break;
      await sleep(20);
    }
    expect(fresh).toMatch(/^(parent|worker\d)#1$/);
    await sleep(100);
    expect(await loads()).toBe(1);
  });
});

// The same lock between two caches of this process (each stands for a process: no shared
// single-flight), where the test controls when each load returns.
describeWithRedis('stampede lock between two caches on one Redis (controlled timing)', () => {
  const redis = useRedisPrefix();
  let client: Redis;
  let runs = 0;

  beforeAll(async () => {
    client = new Redis(redis.url);
    await client.ping();
  });

  afterAll(() => {
    client?.disconnect();
  });

  const open = (store: CacheStore, onError?: (error: unknown, operation: string) => void): Cache =>
    new Cache({ store, namespace: 'app', lockWaitMs: 5_000, ...(onError ? { onError } : {}) });

  function deferred<T>() {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }

  it('a waiter never returns a value whose invalidation returned before its call; it takes over the freed lock at once', async () => {
    const store = new RedisStore({ client, namespace: `${redis.prefix}pair${++runs}` });
    const holder = open(store);
    const waiter = open(store);
    const oldRow = deferred<string>();
    const holding = holder.wrap('album:1', () => oldRow.promise); // takes the lock, reads the OLD row
    await sleep(20);
    const early = waiter.wrap('album:1', async () => 'new'); // waits for the holder's value
    await sleep(30);
    await holder.invalidate({ keys: ['album:1'] }); // the writer commits and invalidates
    const started = performance.now();
    const late = waiter.wrap('album:1', async () => 'new'); // begins after the invalidation returned
    await sleep(30);
    oldRow.resolve('old'); // the holder's write is refused (generation moved), then it unlocks
    expect(await holding).toBe('old');
    expect(await late).toBe('new');
    expect(await early).toBe('new'); // the freed lock went to the waiter, which loaded
    expect(performance.now() - started).toBeLessThan(1_000); // not after lockWaitMs (5 s)
    expect(await holder.wrap('album:1', async () => 'other')).toBe('new');
  });

  it('loads from the source when the lock call fails, reports it, and still caches the value', async () => {
    const real = new RedisStore({ client, namespace: `${redis.prefix}pair${++runs}` });
    const broken = new Proxy(real, {
      get(target, property) {
        if (property === 'lock') return () => Promise.reject(new Error('lock unavailable'));
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as CacheStore;
    const failures: string[] = [];
    const cache = open(broken, (_error, operation) => failures.push(operation));
    let loads = 0;
    expect(await cache.wrap('k', async () => `v${++loads}`)).toBe('v1');
    expect(failures).toEqual(['lock']);
    expect(await cache.wrap('k', async () => `v${++loads}`)).toBe('v1');
    expect(loads).toBe(1);
  });
});

describe('stampede lock options', () => {
  it.each([
    ['a zero lockTtlMs', { lockTtlMs: 0 }],
    ['a negative lockWaitMs', { lockWaitMs: -1 }],
    ['an infinite lockTtlMs', { lockTtlMs: Number.POSITIVE_INFINITY }],
    ['a lockWaitMs that is not a number', { lockWaitMs: '2000' as unknown as number }],
  ])('refuses %s with InvalidArgumentError', (_, options) => {
    expect(() => new Cache({ store: new MemoryStore(), namespace: 'app', ...options })).toThrow(InvalidArgumentError);
  });
});
