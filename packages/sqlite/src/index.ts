export { applyPragmas, readPragma } from './apply-pragmas.js';
export { SqliteBusyTimeoutError } from './errors/sqlite-busy-timeout-error.js';
export { SqliteConfigError } from './errors/sqlite-config-error.js';
export { SqlitePragmaMismatchError } from './errors/sqlite-pragma-mismatch-error.js';
export { type BeginObserver, ImmediateSqliteDialect } from './immediate-sqlite-dialect.js';
export {
  type InspectSqliteOptions,
  inspectSqlite,
  type PragmaDifference,
  type SqliteInspection,
  walBytes,
} from './inspect-sqlite.js';
export { formatPragmas, type PragmaMismatch, type PragmaReport, type SkippedPragma } from './pragma-report.js';
export {
  PRAGMA_ORDER,
  pragmaStatements,
  type SqlitePragmaName,
  type SqlitePragmas,
  type SqlitePragmaValue,
} from './pragmas.js';
export { RAILS8_PRAGMAS, SQLITE_PRESETS, type SqlitePreset, type SqlitePresetName } from './presets.js';
export { registerSqliteMetrics } from './register-sqlite-metrics.js';
export type { CheckpointResult, SqliteConnectionStats } from './sqlite-connection-stats.js';
export { SqliteMaintenance } from './sqlite-maintenance.js';
export {
  isMemoryDatabase,
  type ResolvedSqliteTuning,
  resolveSqliteTuning,
  type SqliteMaintenanceOptions,
  type SqliteTuningOptions,
} from './sqlite-tuning.js';
export { type SqliteTuningConfig, sqliteTuning } from './sqlite-tuning-config.js';
export { sqliteTuningReport } from './sqlite-tuning-report.js';
export { TunedSqliteConnection } from './tuned-sqlite-connection.js';
export { TunedSqliteDriver } from './tuned-sqlite-driver.js';
export { TunedSqlitePlatform } from './tuned-sqlite-platform.js';
