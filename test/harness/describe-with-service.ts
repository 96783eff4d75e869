import { describe, it } from 'vitest';
import { getService, providedService } from './get-service.js';
import {
  SERVICE_LABELS,
  type ServiceKind,
  type ServiceStatus,
  ServiceUnavailableError,
  serviceMode,
} from './service-mode.js';

const warned = new Set<ServiceKind>();

/**
 * A `describe` whose tests need a service. Available: a plain suite. Unavailable outside CI: the suite
 * is skipped (reason printed once). Unavailable in CI: a test `<name> [requires <Service>]` FAILS with
 * the reason (so the run goes red) and the suite itself is not run (none of `fn`'s hooks execute).
 * `fn` registers tests and hooks as usual, typically with `usePostgresDatabase()` / `useRedisPrefix()`.
 *
 * @example
 * describeWithService('redis', 'cache', () => {
 *   const redis = useRedisPrefix();
 *   it('sets', async () => { ... redis.prefix ... });
 * });
 */
export function describeWithService(kind: ServiceKind, name: string, fn: () => void): void {
  const provided = providedService(kind);
  if (provided) {
    register(kind, name, fn, provided);
    return;
  }
  // No global setup provided an answer: resolve in this process while collecting. The answer is only
  // known asynchronously, inside the suite; when the service is missing, the skipped (or failing)
  // suite is therefore nested one level deeper, under the same name.
  describe(name, async () => {
    const status = await getService(kind);
    if (serviceMode(status) === 'run') fn();
    else register(kind, name, fn, status);
  });
}

/**
 * {@link describeWithService} for PostgreSQL: skipped without PostgreSQL, failed in CI.
 *
 * @example
 * describeWithPostgres('pagination on PostgreSQL', () => {
 *   const db = usePostgresDatabase();
 *   it('connects', async () => { expect(db.url).toMatch(/^postgres/); });
 * });
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  describeWithService('postgresql', name, fn);
}

/**
 * {@link describeWithService} for Redis: skipped without Redis, failed in CI.
 *
 * @example
 * describeWithRedis('second-level cache', () => {
 *   const redis = useRedisPrefix();
 *   it('has a prefix', () => { expect(redis.prefix).toMatch(/^stratum:t:/); });
 * });
 */
export function describeWithRedis(name: string, fn: () => void): void {
  describeWithService('redis', name, fn);
}

function register(kind: ServiceKind, name: string, fn: () => void, status: ServiceStatus): void {
  const mode = serviceMode(status);
  if (mode === 'run' || status.available) {
    describe(name, fn);
    return;
  }
  if (mode === 'skip') {
    // The global setup already printed the reason for the whole run; without it, print once per process.
    if (!providedService(kind) && !warned.has(kind)) {
      warned.add(kind);
      console.warn(`[stratum harness] ${SERVICE_LABELS[kind]} unavailable, skipping its tests: ${status.reason}`);
    }
    describe.skip(name, fn);
    return;
  }
  // CI: one test that FAILS with the reason, next to the suite (kept skipped, so none of its hooks run
  // against a service that is not there and its test names stay as they are).
  const error = new ServiceUnavailableError(kind, status.reason);
  it(`${name} [requires ${SERVICE_LABELS[kind]}]`, () => {
    throw error;
  });
  describe.skip(name, fn);
}
