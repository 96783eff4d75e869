import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useStarted } from './use-started.js';

const run = promisify(execFile);

/** One node of a {@link RedisCluster}. */
export interface RedisClusterNode {
  readonly host: '127.0.0.1';
  readonly port: number;
}

/** A throw-away Redis Cluster owned by a test (masters only, no replicas). */
export interface RedisCluster {
  /** The masters, each serving an equal share of the 16384 slots. */
  readonly nodes: readonly RedisClusterNode[];
  /** Stops every node (SIGTERM by its pid file, SIGKILL after 10 s) and removes the data dir. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** How many masters; at least 3 (what `redis-cli --cluster create` requires). Default 3. */
  masters?: number;
  /** redis-server binary; default `$STRATUM_REDIS_SERVER_BIN` or `redis-server` on PATH. */
  serverBinary?: string;
  /** redis-cli binary; default `$STRATUM_REDIS_CLI_BIN` or `redis-cli` on PATH. */
  cliBinary?: string;
  /** How long to wait for `cluster_state:ok` on every node. Default 30 s. */
  startTimeoutMs?: number;
}

const livePids = new Set<number>();
let exitHookInstalled = false;

/**
 * Starts a Redis Cluster of `masters` daemonized `redis-server`s on free loopback ports (their own temp
 * dir, `--save ''`, `--appendonly no`), joins them with `redis-cli --cluster create ... --cluster-replicas 0`
 * and resolves once every node reports `cluster_state:ok`. The CALLER stops it (`stop()`, ~3 s);
 * {@link useRedisCluster} does that for a suite. Nodes still running when the test process exits are
 * SIGKILLed.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster({ masters: 3 });
 * try {
 *   const client = new Cluster(cluster.nodes);
 *   await client.set('answer', '42');
 *   client.disconnect();
 * } finally {
 *   await cluster.stop();
 * }
 * ```
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`startRedisCluster(): masters must be an integer >= 3, but got: ${masters}`);
  }
  const serverBinary = options.serverBinary ?? process.env.STRATUM_REDIS_SERVER_BIN ?? 'redis-server';
  const cliBinary = options.cliBinary ?? process.env.STRATUM_REDIS_CLI_BIN ?? 'redis-cli';
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(join(tmpdir(), 'stratum-redis-cluster-'));
  const ports: number[] = [];
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(ports.map((port) => stopNode(dir, port)));
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    for (let i = 0; i < masters; i++) ports.push(await startNode(serverBinary, dir, ports));
    await run(
      cliBinary,
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: timeoutMs },
    );
    await waitForClusterOk(cliBinary, ports, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    stop,
  };
}

/**
 * Registers `beforeAll`/`afterAll` in the current suite: starts a {@link startRedisCluster} before and
 * stops it after. The returned handle delegates to the live cluster (readable in hooks and tests).
 *
 * @example
 * ```ts
 * describe('on a Redis Cluster', () => {
 *   const cluster = useRedisCluster();
 *   it('connects', async () => {
 *     const client = new Cluster([...cluster.nodes]);
 *     expect(await client.ping()).toBe('PONG');
 *     client.disconnect();
 *   });
 * });
 * ```
 */
export function useRedisCluster(options: StartRedisClusterOptions = {}): RedisCluster {
  const get = useStarted('useRedisCluster()', 'cluster', () => startRedisCluster(options));
  return {
    get nodes() {
      return get().nodes;
    },
    stop: () => get().stop(),
  };
}

async function startNode(binary: string, dir: string, taken: readonly number[]): Promise<number> {
  // A random port can be taken between freeClusterPort() and redis binding it: retry on a new one.
  for (let attempt = 1; ; attempt++) {
    const port = await freeClusterPort(taken);
    try {
      await run(binary, [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'yes',
        '--pidfile',
        pidFile(dir, port),
        '--logfile',
        join(dir, `${port}.log`),
      ]);
      await waitForPidFile(dir, port, 10_000);
      return port;
    } catch (error) {
      const log = await readFile(join(dir, `${port}.log`), 'utf8').catch(() => '');
      if (attempt < 3 && /address already in use/i.test(`${String(error)}\n${log}`)) continue;
      throw new Error(
        `redis-server (cluster node on port ${port}) did not start: ${String(error)}\n${log.slice(-2000)}`,
      );
    }
  }
}

async function waitForPidFile(dir: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = await readPid(dir, port);
    if (pid !== undefined) {
      livePids.add(pid);
      installExitHook();
      return;
    }
    await sleep(20);
  }
  throw new Error(`no pid file after ${timeoutMs} ms`);
}

async function waitForClusterOk(cli: string, ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ports);
  while (pending.size > 0) {
    for (const port of [...pending]) {
      const info = await run(cli, ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']).then(
        (result) => result.stdout,
        () => '',
      );
      if (info.includes('cluster_state:ok')) pending.delete(port);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`Redis Cluster not ok within ${timeoutMs} ms on ports ${[...pending].join(', ')}`);
    }
    await sleep(100);
  }
}

async function stopNode(dir: string, port: number): Promise<void> {
  const pid = await readPid(dir, port);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await sleep(50);
  }
  livePids.delete(pid);
}

async function readPid(dir: string, port: number): Promise<number | undefined> {
  const text = await readFile(pidFile(dir, port), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidFile(dir: string, port: number): string {
  return join(dir, `${port}.pid`);
}

/** A free loopback port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(0);
    if (port > 55_535 || taken.includes(port)) continue;
    if ((await freePort(port + 10_000).catch(() => 0)) === port + 10_000) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a Redis Cluster node');
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (bound ? resolve(bound) : reject(new Error('no free port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
