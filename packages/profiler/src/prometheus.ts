// `@stratum/profiler/prometheus`: the Prometheus export, on its own entry so that the main entry's
// types never name prom-client (an optional peer: an app without it type-checks with skipLibCheck off).
export { type PromClient, registerPrometheusMetrics } from './metrics/prometheus-collectors.js';
