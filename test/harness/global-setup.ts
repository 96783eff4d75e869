import type { TestProject } from 'vitest/node';
import { isCi } from './is-ci.js';
import { PROVIDED_SERVICES_KEY, type ProvidedServices } from './provided-services.js';
import { resolveService, stopServiceContainers } from './resolve-service.js';
import { SERVICE_LABELS, type ServiceKind } from './service-mode.js';

/**
 * Vitest global setup (vitest.config.ts `globalSetup`): resolves PostgreSQL and Redis once for the
 * whole run, provides the result to every worker (see `getService`), and prints once why a missing
 * service's tests will be skipped (or, in CI, fail).
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['test/harness/global-setup.ts'] } });
 */
export async function setup(project: TestProject): Promise<void> {
  const kinds: ServiceKind[] = ['postgresql', 'redis'];
  const [postgresql, redis] = await Promise.all(kinds.map((kind) => resolveService(kind)));
  if (!postgresql || !redis) throw new Error('unreachable: a service did not resolve');
  const services: ProvidedServices = { postgresql, redis };
  project.provide(PROVIDED_SERVICES_KEY, services);
  for (const kind of kinds) {
    const status = services[kind];
    if (status.available) continue;
    const consequence = isCi() ? 'FAIL (CI is set)' : 'be skipped';
    console.warn(
      `[stratum harness] ${SERVICE_LABELS[kind]} unavailable, tests that need it will ${consequence}: ${status.reason}`,
    );
  }
}

/**
 * Vitest global teardown: stops containers the setup started (if it had to use testcontainers).
 *
 * @example
 * await teardown();
 */
export async function teardown(): Promise<void> {
  await stopServiceContainers();
}
