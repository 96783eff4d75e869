import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useStarted } from './use-started.js';

/** A redis-server process owned by a test, for fault tests (crash, restart). */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Pid of the running process, `undefined` once stopped or killed. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Graceful shutdown (SIGTERM, SIGKILL after 10 s). Idempotent; resolves once the process exited. */
  stop(): Promise<void>;
  /** SIGKILL, to simulate a crash. Idempotent; resolves once the process exited. */
  kill(): Promise<void>;
  /** Stops the server if it runs, then starts a new one on the same port and waits for PING. */
  restart(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port to use; default a free random loopback port. */
  port?: number;
  /** Extra redis-server arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: string[];
  /** redis-server binary; default `$STRATUM_REDIS_SERVER_BIN` or `redis-server` on PATH. */
  binary?: string;
  /** How long to wait for PONG. Default 10 s. */
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Spawns a throw-away `redis-server` on 127.0.0.1 (free random port, `--save ''`, `--appendonly no`,
 * its own temp dir) and resolves once it answers PING. The CALLER stops it (`stop()` or `kill()`),
 * typically in `afterAll`/`finally`; {@link useRedisServer} does that for a suite. A server still
 * running when the test process exits is SIGKILLed.
 *
 * @example
 * const server = await startRedisServer();
 * try {
 *   const client = new Redis(server.url);
 *   await server.kill(); // the client now sees a crash
 *   await server.restart(); // same port, empty data
 * } finally {
 *   await server.stop();
 * }
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? process.env.STRATUM_REDIS_SERVER_BIN ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'stratum-redis-'));

  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    const started = spawnRedis(binary, port, dir, options.args ?? []);
    child = started.child;
    exited = started.exited;
    try {
      await waitForPong(port, started, timeoutMs);
    } catch (error) {
      started.child.kill('SIGKILL');
      await started.exited;
      throw error;
    }
  };

  // A random port can be taken between freePort() and redis binding it: retry on a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      const retry = options.port === undefined && attempt < 3 && /address already in use/i.test(String(error));
      if (!retry) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }

  const finish = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current && current.exitCode === null && current.signalCode === null) {
      current.kill(signal);
      if (signal !== 'SIGKILL') {
        const timer = setTimeout(() => current.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    }
    await exited;
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  };

  return {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get pid() {
      return child?.pid;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
    restart: async () => {
      await finish('SIGTERM');
      await launch();
    },
  };
}

/**
 * Registers `beforeAll`/`afterAll` in the current suite: starts a {@link startRedisServer} before and
 * stops it after. The returned handle delegates to the live server (readable in hooks and tests).
 *
 * @example
 * describe('reconnects after a crash', () => {
 *   const server = useRedisServer();
 *   it('survives kill + restart', async () => {
 *     await server.kill();
 *     await server.restart();
 *   });
 * });
 */
export function useRedisServer(options: StartRedisServerOptions = {}): RedisServer {
  const get = useStarted('useRedisServer()', 'server', () => startRedisServer(options));
  return {
    get url() {
      return get().url;
    },
    host: '127.0.0.1',
    get port() {
      return get().port;
    },
    get pid() {
      return get().pid;
    },
    get running() {
      return get().running;
    },
    stop: () => get().stop(),
    kill: () => get().kill(),
    restart: () => get().restart(),
  };
}

interface Spawned {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
  hasExited: () => boolean;
}

function spawnRedis(binary: string, port: number, dir: string, args: string[]): Spawned {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      collect(Buffer.from(`\n${error.message}`));
      done = true;
      live.delete(child);
      resolve();
    });
    child.once('exit', () => {
      done = true;
      live.delete(child);
      resolve();
    });
  });
  live.add(child);
  installExitHook();
  return { child, exited, output: () => output, hasExited: () => done };
}

async function waitForPong(port: number, spawned: Spawned, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawned.hasExited()) {
      throw new Error(`redis-server exited before answering PING on port ${port}:\n${spawned.output().trim()}`);
    }
    if (await pingRedis(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms:\n${spawned.output()}`);
}

/**
 * Sends a raw `PING` to 127.0.0.1:`port`; true if the answer is `+PONG`, false on any error or after
 * `timeoutMs`.
 *
 * @example
 * await pingRedis(6379); // true when a Redis listens there
 */
export function pingRedis(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
