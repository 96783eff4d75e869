import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { Env } from './is-ci.js';
import { SERVICE_LABELS, type ServiceKind, type ServiceStatus } from './service-mode.js';

/** Local defaults tried when no URL is configured. */
export const LOCAL_SERVICE_URLS: Readonly<Record<ServiceKind, string>> = {
  postgresql: 'postgres://postgres@127.0.0.1:5432/test',
  redis: 'redis://127.0.0.1:6379',
};

/** Environment variables that name a service explicitly (no fallback when set). */
export const SERVICE_URL_ENV: Readonly<Record<ServiceKind, string>> = {
  postgresql: 'STRATUM_PG_URL',
  redis: 'STRATUM_REDIS_URL',
};

/** Options of {@link resolveService}. */
export interface ResolveServiceOptions {
  /** Environment to read `STRATUM_*` variables from; defaults to `process.env`. */
  env?: Env;
  /** Local defaults to try instead of {@link LOCAL_SERVICE_URLS} (the harness's own tests use it). */
  localUrls?: Partial<Record<ServiceKind, string>>;
  /** How long a probe may take before the service counts as not answering. Default 3000 ms. */
  probeTimeoutMs?: number;
  /**
   * Try testcontainers when neither the env URL nor the local default is usable. Default: true unless
   * `STRATUM_TESTCONTAINERS` is `0`/`false`.
   */
  testcontainers?: boolean;
}

interface StoppableContainer {
  stop(): Promise<unknown>;
}

const startedContainers = new Set<StoppableContainer>();

/**
 * Looks for a service, in order: the URL in `STRATUM_PG_URL` / `STRATUM_REDIS_URL` (used as is, never
 * replaced by a fallback), the local default (`postgres://postgres@127.0.0.1:5432/test`,
 * `redis://127.0.0.1:6379`) if it answers, a testcontainers container if a container runtime exists.
 * Otherwise the status is unavailable, with every attempt's failure in `reason`. Not memoized: use
 * {@link getService} in tests.
 *
 * @example
 * const pg = await resolveService('postgresql');
 * if (pg.available) console.log(pg.url, pg.source); // 'postgres://postgres@127.0.0.1:5432/test' 'local'
 * else console.log(pg.reason);
 */
export async function resolveService(kind: ServiceKind, options: ResolveServiceOptions = {}): Promise<ServiceStatus> {
  const env = options.env ?? process.env;
  const timeoutMs = options.probeTimeoutMs ?? 3000;
  const label = SERVICE_LABELS[kind];
  const envVar = SERVICE_URL_ENV[kind];

  const configured = env[envVar]?.trim();
  if (configured) {
    try {
      await probeService(kind, configured, timeoutMs);
      return { available: true, url: configured, source: 'env' };
    } catch (error) {
      return { available: false, reason: `${envVar}=${redact(configured)} did not answer: ${errorText(error)}` };
    }
  }

  const failures: string[] = [`${envVar} is not set`];
  const local = options.localUrls?.[kind] ?? LOCAL_SERVICE_URLS[kind];
  try {
    await probeService(kind, local, timeoutMs);
    return { available: true, url: local, source: 'local' };
  } catch (error) {
    failures.push(`${local} did not answer: ${errorText(error)}`);
  }

  const tryContainers = options.testcontainers ?? !/^(0|false|no|off)$/i.test(env.STRATUM_TESTCONTAINERS ?? '');
  if (!tryContainers) {
    failures.push('testcontainers disabled (STRATUM_TESTCONTAINERS)');
    return { available: false, reason: `no ${label}: ${failures.join('; ')}` };
  }
  try {
    const url = await startContainer(kind, env);
    await probeService(kind, url, Math.max(timeoutMs, 10_000));
    return { available: true, url, source: 'testcontainers' };
  } catch (error) {
    const message = errorText(error);
    failures.push(
      /container runtime/i.test(message)
        ? `testcontainers: no container runtime (${message})`
        : `testcontainers failed: ${message}`,
    );
  }
  return { available: false, reason: `no ${label}: ${failures.join('; ')}` };
}

/**
 * Checks that a service answers: PostgreSQL runs `select 1` and its user may `CREATE DATABASE`
 * (the harness isolates test files in their own databases); Redis answers `PING`. Rejects otherwise.
 *
 * @example
 * await probeService('redis', 'redis://127.0.0.1:6379'); // resolves, or rejects with ECONNREFUSED etc.
 */
export async function probeService(kind: ServiceKind, url: string, timeoutMs = 3000): Promise<void> {
  if (kind === 'postgresql') await probePostgres(url, timeoutMs);
  else await probeRedis(url, timeoutMs);
}

/**
 * Stops the containers {@link resolveService} started in this process (global teardown calls it).
 *
 * @example
 * afterAll(() => stopServiceContainers());
 */
export async function stopServiceContainers(): Promise<void> {
  const containers = [...startedContainers];
  startedContainers.clear();
  await Promise.allSettled(containers.map((container) => container.stop()));
}

async function probePostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ can_create: boolean }>(
      'select (rolsuper or rolcreatedb) as can_create from pg_roles where rolname = current_user',
    );
    if (!rows[0]?.can_create) throw new Error('the user may not CREATE DATABASE (needs CREATEDB or superuser)');
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis(url: string, timeoutMs: number): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  client.on('error', (error) => {
    lastError = error;
  });
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } catch (error) {
    // ioredis rejects with a bare "Connection is closed."; the 'error' event has the real cause.
    throw lastError ?? error;
  } finally {
    client.disconnect();
  }
}

async function startContainer(kind: ServiceKind, env: Env): Promise<string> {
  if (kind === 'postgresql') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer(env.STRATUM_PG_IMAGE ?? 'postgres:15-alpine')
      .withDatabase('test')
      .withUsername('postgres')
      .withPassword('postgres')
      .start();
    startedContainers.add(container);
    return container.getConnectionUri();
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(env.STRATUM_REDIS_IMAGE ?? 'redis:7-alpine').start();
  startedContainers.add(container);
  return container.getConnectionUrl();
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner) => errorText(inner)).join(', ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
