import type { MikroORM } from '@mikro-orm/core';
import type { PragmaReport } from './pragma-report.js';
import { TunedSqliteConnection } from './tuned-sqlite-connection.js';

/**
 * What the tuning did on the ORM's write connection (asked, read back, mismatches, skipped), or
 * `undefined` when the ORM does not use `@stratum/sqlite` or has not connected.
 *
 * @example
 * ```ts
 * sqliteTuningReport(orm)?.actual.journal_mode; // 'wal'
 * ```
 */
export function sqliteTuningReport(orm: MikroORM): PragmaReport | undefined {
  const connection = orm.em.getDriver().getConnection('write');
  return connection instanceof TunedSqliteConnection ? connection.report : undefined;
}
