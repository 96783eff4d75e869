import type { SqliteTuningOptions } from './sqlite-tuning.js';
import { resolveSqliteTuning } from './sqlite-tuning.js';
import { TunedSqliteDriver } from './tuned-sqlite-driver.js';

/** What {@link sqliteTuning} returns: the part of the MikroORM config it owns. */
export interface SqliteTuningConfig {
  driver: typeof TunedSqliteDriver;
  dbName: string;
}

/**
 * The SQLite tuning as MikroORM options, to spread into the config: the driver (whose connections
 * apply and verify the pragmas on every connect and reconnect, replicas included, begin writes
 * IMMEDIATE and run the maintenance) and the `dbName` it was validated for. Every bad option throws
 * {@link SqliteConfigError} here, while the config is built.
 *
 * @example
 * ```ts
 * import { defineConfig } from '@mikro-orm/sqlite';
 * import { sqliteTuning } from '@stratum/sqlite';
 *
 * export default defineConfig({
 *   entities: [Track, Album],
 *   ...sqliteTuning({ dbName: 'app.sqlite', preset: 'default', pragmas: { mmap_size: 256 * 1024 * 1024 } }),
 * });
 * ```
 */
export function sqliteTuning(options: SqliteTuningOptions): SqliteTuningConfig {
  const tuning = resolveSqliteTuning(options);
  return { driver: TunedSqliteDriver.with(tuning), dbName: tuning.file };
}
