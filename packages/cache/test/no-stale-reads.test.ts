import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeWithPostgres,
  describeWithRedis,
  usePostgresDatabase,
  useRedisPrefix,
} from '../../../test/harness/index.js';
import { RedisStore } from '../src/index.js';
import type { WorkerReport } from './fixtures/no-stale-worker.js';

// The issue's race test: "reader misses, writer commits and invalidates, reader writes the old value
// back" must never leave a stale entry. Two processes (fixtures/no-stale-worker.ts) each run writers
// and cached readers concurrently over the same keys; PostgreSQL is the source of truth, Redis holds
// the cache and, under separate keys, the highest version whose write has returned per item. A read
// that returns a version below the highest one returned before it started is a stale read.
// That includes a read that joins (single-flight) a load of the same key which read the source
// before the write: the caller called wrap() after the write returned, so the old value is stale.

const ROOT = new URL('../../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const WORKER = new URL('./fixtures/no-stale-worker.ts', import.meta.url).pathname;
const WORKERS = 2;
const OPS_PER_WORKER = 5_000;
const ITEMS = 20;

/** The figures of one race, summed over the workers. */
interface RaceFigures {
  ops: number;
  reads: number;
  writes: number;
  loads: number;
  refused: number;
  violations: number;
  violationsWhileLoading: number;
  /** Entries left in the cache, after the race, whose value differs from the source's. */
  staleEntries: number;
  cacheErrors: number;
  ms: number;
  examples: WorkerReport['examples'][number][];
}

function runWorker(worker: number, env: Record<string, string>): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register', WORKER], {
      cwd: ROOT,
      env: { ...process.env, ...env, NO_STALE_WORKER: String(worker) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`worker ${worker} exited with ${signal ?? code}:\n${stderr}\n${stdout}`));
        return;
      }
      resolve(JSON.parse(last) as WorkerReport);
    });
  });
}

describeWithPostgres('no stale reads across processes', () => {
  const db = usePostgresDatabase();

  describeWithRedis('on the Redis store', () => {
    const redis = useRedisPrefix();
    let source: pg.Client;
    let client: Redis;

    beforeAll(async () => {
      source = new pg.Client({ connectionString: db.url });
      await source.connect();
      await source.query('create table item(id int primary key, version int not null)');
      client = new Redis(redis.url);
    });

    afterAll(async () => {
      await source?.end();
      client?.disconnect();
    });

    /** Resets the source, runs the two workers against it, checks what the cache holds afterwards. */
    async function race(run: string, mode: 'conditional' | 'unconditional'): Promise<RaceFigures> {
      await source.query('truncate item');
      await source.query('insert into item(id, version) select id, 0 from generate_series(1, $1::int) as id', [ITEMS]);
      const runPrefix = `${redis.prefix}${run}:`;
      const env = {
        NO_STALE_WORKERS: String(WORKERS),
        NO_STALE_PG_URL: db.url,
        NO_STALE_REDIS_URL: redis.url,
        NO_STALE_RUN_PREFIX: runPrefix,
        NO_STALE_OPS: String(OPS_PER_WORKER),
        NO_STALE_ITEMS: String(ITEMS),
        NO_STALE_MODE: mode,
      };
      const reports = await Promise.all(Array.from({ length: WORKERS }, (_, worker) => runWorker(worker, env)));

      // What the race left behind: every entry still cached must hold the source's version.
      const { rows } = await source.query<{ id: number; version: number }>('select id, version from item order by id');
      const store = new RedisStore({ client, namespace: `${runPrefix}cache` });
      const cached = await store.getMany<number>(rows.map(({ id }) => `app:item:${id}`));
      const staleEntries = rows.filter(({ version }, i) => {
        const entry = cached[i]?.entry;
        return entry !== undefined && entry.value !== version;
      }).length;

      const sum = (field: keyof WorkerReport): number =>
        reports.reduce((total, report) => total + (report[field] as number), 0);
      const figures: RaceFigures = {
        ops: sum('ops'),
        reads: sum('reads'),
        writes: sum('writes'),
        loads: sum('loads'),
        refused: sum('refused'),
        violations: sum('violations'),
        violationsWhileLoading: sum('violationsWhileLoading'),
        staleEntries,
        cacheErrors: sum('cacheErrors'),
        ms: Math.max(...reports.map((report) => report.ms)),
        examples: reports.flatMap((report) => report.examples),
      };
      const { examples, ...printed } = figures;
      console.log(`[no-stale-reads] ${mode} writes: ${JSON.stringify(printed)}`);
      return figures;
    }

    it('never serves a version older than the last write that returned, in either of two processes', async () => {
      const figures = await race('real', 'conditional');

      expect(figures.ops).toBeGreaterThanOrEqual(WORKERS * OPS_PER_WORKER);
      // The race happened: readers loaded an old version and had their write-back refused.
      expect(figures.refused).toBeGreaterThan(0);
      expect({ violations: figures.violations, examples: figures.examples }).toEqual({ violations: 0, examples: [] });
      expect(figures.staleEntries).toBe(0);
    });

    it('catches a cache that writes a loaded value back without checking the generation', async () => {
      const figures = await race('broken', 'unconditional');

      expect(figures.ops).toBeGreaterThanOrEqual(WORKERS * OPS_PER_WORKER);
      expect(figures.refused).toBe(0);
      expect(figures.violations).toBeGreaterThan(0);
    });
  });
});
