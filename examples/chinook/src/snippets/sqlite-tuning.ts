import { MikroORM } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { defineConfig } from '@mikro-orm/sqlite';
import { formatPragmas, inspectSqlite, sqliteTuning, sqliteTuningReport } from '@stratum/sqlite';
import { entities } from '../entities/index.js';

/** packages/sqlite/README.md and docs/sqlite.md, "One line in the config". */
export async function sqliteTuningSnippet(dbName: string) {
  // #region doc
  const orm = await MikroORM.init(
    defineConfig({
      entities,
      metadataProvider: ReflectMetadataProvider,
      ...sqliteTuning({ dbName, preset: 'default' }), // { driver, dbName }: validated here, typed errors
    }),
  );
  await orm.connect(); // applies and reads back the pragmas now (MikroORM 7 would at the first query)
  const applied = formatPragmas(sqliteTuningReport(orm)!); // 'busy_timeout=5000 journal_mode=wal synchronous=normal …'
  const { differences, walBytes } = inspectSqlite(orm); // differences from the preset: []
  await orm.close(); // stops the timers, runs PRAGMA optimize, checkpoints the WAL with TRUNCATE
  // #endregion doc
  return { applied, differences, walBytes };
}
