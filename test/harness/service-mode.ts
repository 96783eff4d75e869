import { type Env, isCi } from './is-ci.js';

/** The external services the harness knows how to find. */
export type ServiceKind = 'postgresql' | 'redis';

/** Where an available service came from. */
export type ServiceSource = 'env' | 'local' | 'testcontainers';

/** Result of looking for a service: a URL that answered, or why there is none. */
export type ServiceStatus =
  | { readonly available: true; readonly url: string; readonly source: ServiceSource }
  | { readonly available: false; readonly reason: string };

/** What a suite that needs a service does: run it, skip it, or fail it. */
export type ServiceMode = 'run' | 'skip' | 'fail';

/** Human-readable service names, for messages. */
export const SERVICE_LABELS: Readonly<Record<ServiceKind, string>> = { postgresql: 'PostgreSQL', redis: 'Redis' };

/**
 * Decides what a suite that needs a service does. An available service runs. An unavailable one is
 * skipped on a developer machine, but in CI (see {@link isCi}) it FAILS: CI must never go green by
 * silently skipping the integration tests.
 *
 * @example
 * serviceMode({ available: true, url: 'redis://127.0.0.1:6379', source: 'local' }, {}); // 'run'
 * serviceMode({ available: false, reason: 'ECONNREFUSED' }, {}); // 'skip'
 * serviceMode({ available: false, reason: 'ECONNREFUSED' }, { CI: 'true' }); // 'fail'
 */
export function serviceMode(status: ServiceStatus, env: Env = process.env): ServiceMode {
  if (status.available) return 'run';
  return isCi(env) ? 'fail' : 'skip';
}

/** Thrown (in CI) by suites and hooks whose service is unavailable; the message carries the reason. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';

  constructor(
    readonly kind: ServiceKind,
    readonly reason: string,
  ) {
    super(
      `${SERVICE_LABELS[kind]} is required but unavailable: ${reason}` +
        (isCi() ? ' (CI=true: unavailable services fail the run instead of skipping)' : ''),
    );
  }
}
