export type { CallStack } from './capture/call-stack.js';
export { type ExplainOptions, explainPlan, type QueryPlan, type SequentialScan } from './capture/explain-plan.js';
export {
  addGlobalQuerySink,
  type InstrumentOptions,
  instrument,
  isInstrumented,
  type ProfiledOrm,
  type QuerySink,
} from './capture/instrument.js';
export type { QueryConnection, QueryEvent } from './capture/query-event.js';
export { type Fingerprint, fingerprintSql, loadPostgresParser } from './fingerprint/fingerprint.js';
export { detectNPlusOne, type NPlusOneFinding, type NPlusOneOptions } from './n-plus-one/detect-n-plus-one.js';
export {
  type FingerprintStats,
  GlobalProfiler,
  type GlobalProfilerOptions,
  type SlowQuery,
  startProfiling,
} from './scope/global-profiler.js';
export { profile } from './scope/profile.js';
export { type FingerprintSummary, ProfileReport } from './scope/profile-report.js';
export { LatencyHistogram, type LatencySummary } from './stats/latency-histogram.js';
