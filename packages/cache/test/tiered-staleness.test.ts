// The two-tier store's bound on staleness, across real processes: a reader too busy to read its
// sockets (a CPU-bound loop of L1 hits) must still stop serving an invalidated value within
// maxStalenessMs of the writer's invalidate() returning.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { describeWithRedis, useRedisPrefix } from '../../../test/harness/index.js';
import { DEFAULT_MAX_STALENESS_MS, MemoryStore, RedisStore, TieredStore } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READER = fileURLToPath(new URL('./fixtures/tiered-busy-reader.ts', import.meta.url));
const DURATION_MS = 4_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Done {
  type: 'done';
  reads: number;
  l1Hits: number;
  l2Reads: number;
  leaseMisses: number;
}

describeWithRedis('TieredStore staleness under a busy event loop (two processes)', () => {
  const redis = useRedisPrefix();
  let child: ChildProcess | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    child?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never serves an L1 hit older than maxStalenessMs to a reader that never yields between hits', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratum-tiered-busy-'));
    const namespace = `${redis.prefix}busy`;
    const key = 'item:1';
    const sourceKey = `${redis.prefix}source:item:1`;
    const source = new Redis(redis.url);
    await source.set(sourceKey, '0');
    const out = join(dir, 'reads');
    const replies: Record<string, unknown>[] = [];
    let stderr = '';
    child = fork(READER, [], {
      cwd: ROOT,
      execArgv: ['--conditions=@stratum/source', '--import', '@swc-node/register/esm-register'],
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        NAMESPACE: namespace,
        KEY: key,
        SOURCE_KEY: sourceKey,
        DURATION_MS: String(DURATION_MS),
        OUT: out,
      },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    child.on('message', (message: Record<string, unknown>) => replies.push(message));
    const next = async (type: string, timeoutMs: number): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = replies.findIndex((reply) => reply.type === type);
        if (index !== -1) return replies.splice(index, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`no '${type}' from the reader; stderr: ${stderr}`);
        await sleep(10);
      }
    };
    await next('ready', 60_000);

    const client = new Redis(redis.url);
    const writer = new TieredStore({
      l1: new MemoryStore(),
      l2: new RedisStore({ client, namespace }),
      subscriber: new Redis(redis.url),
      ownsSubscriber: true,
    });
    await writer.ready();
    /** [version, when its invalidate() returned (ms, CLOCK_MONOTONIC)], in order. */
    const returned: [number, number][] = [[0, 0]];
    try {
      child.send({ type: 'go' });
      const end = nowMs() + DURATION_MS - 300;
      for (let version = 1; nowMs() < end; version++) {
        await source.set(sourceKey, String(version));
        await writer.invalidate([key]);
        returned.push([version, nowMs()]);
        await sleep(40);
      }
    } finally {
      await writer.close();
    }
    const done = (await next('done', DURATION_MS + 30_000)) as unknown as Done;
    const at = new Float64Array((await readFile(`${out}.at`)).buffer.slice(0));
    const values = new Int32Array((await readFile(`${out}.value`)).buffer.slice(0));
    source.disconnect();

    // A read is stale when it returned a version older than one whose invalidate() had returned
    // before the read started; its staleness is how long before that the next version's returned.
    let stale = 0;
    let maxStaleMs = 0;
    let latest = 0; // index in `returned` of the last invalidation that returned before the read
    for (let i = 0; i < done.reads; i++) {
      while (latest + 1 < returned.length && returned[latest + 1]![1] < at[i]!) latest++;
      const value = values[i]!;
      if (value < returned[latest]![0]) {
        stale++;
        maxStaleMs = Math.max(maxStaleMs, at[i]! - returned[value + 1]![1]);
      }
    }
    console.info(
      `[tiered-staleness] busy reader: ${done.reads} reads (${done.l1Hits} L1 hits, ${done.l2Reads} L2 reads, ` +
        `${done.leaseMisses} lease misses) over ${returned.length - 1} invalidations; ${stale} stale reads, ` +
        `the oldest ${maxStaleMs.toFixed(1)} ms after the invalidation returned (bound ${DEFAULT_MAX_STALENESS_MS} ms)`,
    );
    expect(done.reads).toBeGreaterThan(10_000); // it was busy
    expect(returned.length).toBeGreaterThan(20);
    expect(done.leaseMisses).toBeGreaterThan(0); // the lease ran out while it did not yield
    expect(values[done.reads - 1]).toBeGreaterThan(0); // it did see new versions
    expect(maxStaleMs).toBeLessThanOrEqual(DEFAULT_MAX_STALENESS_MS);
  });
});
