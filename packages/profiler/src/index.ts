export type { CallStack } from './capture/call-stack.js';
export { type ExplainOptions, explainPlan, type QueryPlan, type SequentialScan } from './capture/explain-plan.js';
export {
  addGlobalQuerySink,
  type InstrumentOptions,
  instrument,
  isInstrumented,
  type ProfiledOrm,
  type QuerySink,
  uninstrument,
} from './capture/instrument.js';
export type { QueryConnection, QueryEvent } from './capture/query-event.js';
export { enableSqlCommenter, type SqlCommenterOptions, withSqlComment } from './capture/sqlcommenter.js';
export {
  type Fingerprint,
  fingerprintSql,
  isPostgresParserLoaded,
  loadPostgresParser,
  SqlFingerprinter,
  type SqlFingerprinterOptions,
} from './fingerprint/fingerprint.js';
export { normalizeSql } from './fingerprint/sql-normalizer.js';
export { type MetricsSnapshot, metricsSnapshot, type PoolStats, poolStats } from './metrics/metrics-snapshot.js';
export {
  detectNPlusOne,
  type NPlusOneFinding,
  type NPlusOneKind,
  type NPlusOneOptions,
} from './n-plus-one/detect-n-plus-one.js';
export { NPlusOneError } from './n-plus-one/n-plus-one-error.js';
export { toWorkload, type Workload, type WorkloadQuery, writeWorkload } from './report/workload.js';
export {
  type FingerprintStats,
  GlobalProfiler,
  type GlobalProfilerOptions,
  type SlowQuery,
  startProfiling,
} from './scope/global-profiler.js';
export {
  configureNPlusOne,
  type NPlusOneMode,
  type NPlusOneScopeOptions,
  type ProfileOptions,
  profile,
} from './scope/profile.js';
export { type FingerprintSummary, ProfileReport } from './scope/profile-report.js';
export { LatencyHistogram, type LatencySummary } from './stats/latency-histogram.js';
export { Timed, type TimedDecorator, type TimedOptions } from './timed/timed.js';
export { resetTimedMetrics, type TimedSnapshot, timedMetrics } from './timed/timed-metrics.js';
