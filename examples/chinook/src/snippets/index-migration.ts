import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { readWorkload, renderMigration, suggestIndexes } from '@stratum/indexer';
import { instrument, profile, toWorkload, writeWorkload } from '@stratum/profiler';

/** docs/indexes.md, "From a profiled run to an applied migration" (PostgreSQL). */
export async function indexMigration(orm: MikroORM, migrations: string, runTheApp: () => Promise<unknown>) {
  const workloadFile = join(migrations, '..', 'workload.json');
  // #region doc
  // 1. Record: in a test run (or an always-on profiler in staging)
  instrument(orm);
  const report = await profile(() => runTheApp());
  await writeWorkload(workloadFile, toWorkload(report.queries));

  // 2. Advise: against a database with real data (statistics and existing indexes come from it)
  const workload = await readWorkload(workloadFile);
  const result = await suggestIndexes({ workload, clientUrl: orm.config.get('clientUrl') });

  // 3. Write the migration, run it with MikroORM's Migrator (allOrNothing: false: see below)
  const className = 'Migration20261204200000';
  await writeFile(join(migrations, `${className}.ts`), renderMigration(result.suggestions, { className }));
  const migrator = await MikroORM.init({
    ...orm.config.getAll(),
    extensions: [Migrator],
    migrations: { path: migrations, allOrNothing: false, snapshot: false },
  });
  await migrator.migrator.up();
  // #endregion doc
  return { result, migrator };
}
