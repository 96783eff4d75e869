// docs/indexes.md's walk-through, run as written on PostgreSQL with Chinook: a profiled run, the
// workload file, the advisor, the migration file, MikroORM's Migrator discovering and applying it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { Customer } from '../src/entities/index.js';
import { indexMigration } from '../src/snippets/index-migration.js';

// Inside the repository, so that the migration's `import … from '@mikro-orm/migrations'` resolves.
const work = mkdtempSync(fileURLToPath(new URL('./.index-migration-', import.meta.url)));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describeEachDriver(
  'index migration walk-through (docs/indexes.md)',
  (ctx) => {
    const chinook = useChinook(ctx, { scale: 20 });

    it('records a run, writes the suggested migration, and the Migrator applies it: the lookups use the index', async () => {
      const migrations = join(work, 'migrations');
      mkdirSync(migrations, { recursive: true });
      const emails = (await chinook.em().find(Customer, {}, { limit: 50, fields: ['email'] })).map((c) => c.email);
      const { result, migrator } = await indexMigration(chinook.orm, migrations, async () => {
        for (let i = 0; i < 200; i++)
          await chinook.em().findOne(Customer, { email: emails[i % emails.length] as string });
      });
      try {
        expect(readdirSync(migrations)).toEqual(['Migration20261204200000.ts']);
        const email = result.suggestions.find((s) => s.index.table === 'customer');
        expect(email?.index.keys.map((k) => k.part.column)).toEqual(['email']);
        expect(await migrator.migrator.getExecuted()).toMatchObject([{ name: 'Migration20261204200000' }]);
        const plan = await chinook.em().getConnection().execute(`explain select * from customer where email = 'x'`);
        expect(JSON.stringify(plan)).toContain(email?.index.name);
        await migrator.migrator.down();
      } finally {
        await migrator.close(true);
      }
    });
  },
  { drivers: ['postgresql'] },
);
