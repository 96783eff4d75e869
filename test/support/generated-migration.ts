import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Constructor } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';

/**
 * MikroORM `migrations` options that run exactly one migration: the TypeScript source `render`ed by
 * `@stratum/indexer`, written to `<dir>/<className>.ts` and imported (the test runner or swc compiles
 * it), with `allOrNothing: false` as a concurrent index build needs (docs/indexes.md).
 *
 * @example
 * ```ts
 * const migrations = await generatedMigration(dir, 'Migration20261204000000', renderMigration(result.suggestions, { className: 'Migration20261204000000' }));
 * const orm = await MikroORM.init({ ...config, extensions: [Migrator], migrations });
 * await orm.migrator.up();
 * ```
 */
export async function generatedMigration(dir: string, className: string, source: string) {
  return {
    migrationsList: [{ name: className, class: await importGeneratedMigration(dir, className, source) }],
    allOrNothing: false,
    snapshotOnMigrate: false,
    silent: true,
  };
}

/**
 * The migration class of `source`, written to `<dir>/<className>.ts` and imported: for tests that
 * build their own `migrationsList` (several migrations, other Migrator options).
 *
 * @example
 * ```ts
 * const cls = await importGeneratedMigration(dir, 'Migration20261204000000', source);
 * ```
 */
export async function importGeneratedMigration(
  dir: string,
  className: string,
  source: string,
): Promise<Constructor<Migration>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${className}.ts`);
  await writeFile(file, source);
  const module = (await import(file)) as Record<string, Constructor<Migration>>;
  const migration = module[className];
  if (migration === undefined) throw new Error(`${file} does not export ${className}`);
  return migration;
}
