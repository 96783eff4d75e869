// `@stratum/profiler/opentelemetry`: the OpenTelemetry export, on its own entry so that the main
// entry's types never name @opentelemetry/api (an optional peer).
export { recordOpenTelemetryMetrics } from './metrics/open-telemetry.js';
