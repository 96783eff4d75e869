import type { ServiceKind, ServiceStatus } from './service-mode.js';

/** What the global setup hands to every test worker: the run's one answer per service. */
export type ProvidedServices = Readonly<Record<ServiceKind, ServiceStatus>>;

/** Key under which test/harness/global-setup.ts provides the services to workers (see `getService`). */
export const PROVIDED_SERVICES_KEY = 'stratum:services';

declare module 'vitest' {
  export interface ProvidedContext {
    'stratum:services': ProvidedServices;
  }
}
