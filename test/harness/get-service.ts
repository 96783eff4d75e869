import { inject } from 'vitest';
import { PROVIDED_SERVICES_KEY } from './provided-services.js';
import { resolveService } from './resolve-service.js';
import type { ServiceKind, ServiceStatus } from './service-mode.js';

const resolved = new Map<ServiceKind, Promise<ServiceStatus>>();

/**
 * The service as the global setup (test/harness/global-setup.ts) resolved it for the whole run, read
 * synchronously; `undefined` when the vitest config has no such global setup.
 *
 * @example
 * const pg = providedService('postgresql');
 * if (pg?.available) console.log(pg.url);
 */
export function providedService(kind: ServiceKind): ServiceStatus | undefined {
  try {
    return inject(PROVIDED_SERVICES_KEY)?.[kind];
  } catch {
    return undefined;
  }
}

/**
 * The service for this test process: the global setup's answer if there is one, else
 * {@link resolveService} run once per process (memoized).
 *
 * @example
 * const redis = await getService('redis');
 * if (redis.available) new Redis(redis.url);
 */
export function getService(kind: ServiceKind): Promise<ServiceStatus> {
  const provided = providedService(kind);
  if (provided) return Promise.resolve(provided);
  let pending = resolved.get(kind);
  if (!pending) {
    pending = resolveService(kind);
    resolved.set(kind, pending);
  }
  return pending;
}
