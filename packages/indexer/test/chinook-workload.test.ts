import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { instrument, profile, toWorkload, writeWorkload } from '@stratum/profiler';
import { Client } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chinookConfig } from '../../../examples/chinook/src/config.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { runChinookApp } from '../../../test/support/chinook-app-workload.js';
import { generatedMigration } from '../../../test/support/generated-migration.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import {
  createIndexSql,
  type IndexerWorkload,
  type IndexSuggestions,
  readWorkload,
  renderMigration,
  suggestIndexes,
} from '../src/index.js';

/** Chinook × 100: 5 900 customers, 41 200 invoices, 224 000 invoice lines. */
const SCALE = 100;
describeEachDriver(
  'the indexer on a recorded Chinook workload',
  (ctx) => {
    const chinook = useChinook(ctx, { scale: SCALE });
    let admin: Client;
    let workload: IndexerWorkload;
    let result: IndexSuggestions;
    let dir: string;

    beforeAll(async () => {
      admin = new Client({ connectionString: ctx.options.clientUrl });
      await admin.connect();
      await admin.query('create extension if not exists hypopg');
      await admin.query('analyze');
      instrument(chinook.orm);
      const report = await profile(() => runChinookApp(chinook.orm, SCALE));
      dir = await mkdtemp(join(tmpdir(), 'stratum-indexer-'));
      await writeWorkload(join(dir, 'workload.json'), toWorkload(report.queries));
      workload = await readWorkload(join(dir, 'workload.json'));
      result = await suggestIndexes({ workload, clientUrl: ctx.options.clientUrl as string });
    }, 300_000);
    afterAll(async () => {
      await admin?.end();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('reads the workload the profiler recorded and parses every statement', () => {
      expect(workload.statements.length).toBeGreaterThanOrEqual(9);
      expect(result.unparsed).toEqual([]);
    });

    it('suggests no index that an existing one (the foreign-key indexes) already serves', () => {
      const sqls = result.suggestions.map((s) => createIndexSql(s.index));
      expect(sqls.filter((sql) => /"invoice_line" \("invoice_id"\)|"track" \("album_id"\)/.test(sql))).toEqual([]);
      for (const { index } of result.suggestions) {
        const existing = result.schema.indexes.filter((i) => i.table === index.table);
        expect(
          existing.some((i) => i.keys.map((k) => k.column).join() === index.keys.map((k) => k.part.column).join()),
        ).toBe(false);
      }
    });

    it('makes the recorded workload ≥ 10× faster once MikroORM Migrator has applied the generated migration', async () => {
      const measure = async () => {
        let total = 0;
        const perShape: number[] = [];
        for (const statement of workload.statements.filter((s) => /^select/i.test(s.sql))) {
          const samples: number[] = [];
          for (let rep = 0; rep < 7; rep++) {
            const { rows } = await admin.query(`explain (analyze, format json) ${statement.sql}`, [
              ...statement.params,
            ]);
            samples.push(rows[0]['QUERY PLAN'][0]['Execution Time'] as number);
          }
          samples.sort((a, b) => a - b);
          const median = samples[3] as number;
          perShape.push(median);
          total += statement.calls * median;
        }
        return { total, perShape };
      };
      const before = await measure();

      const className = 'Migration20261204200000';
      const migrations = fileURLToPath(new URL(`./.migrations-${randomBytes(4).toString('hex')}/`, import.meta.url));
      const orm = await MikroORM.init({
        ...chinookConfig({ clientUrl: ctx.options.clientUrl as string }),
        extensions: [Migrator],
        migrations: await generatedMigration(migrations, className, renderMigration(result.suggestions, { className })),
      } as never);
      try {
        await orm.migrator.up();
        await admin.query('analyze');
        const after = await measure();
        const ratio = before.total / after.total;
        console.log(
          `Chinook ×${SCALE}: Σ calls × median server time ${before.total.toFixed(1)} ms → ${after.total.toFixed(1)} ms (${ratio.toFixed(1)}×) with ${result.suggestions.length} indexes: ${result.suggestions.map((s) => s.index.name).join(', ')}; advisor ${result.elapsedMs} ms`,
        );
        expect(ratio).toBeGreaterThanOrEqual(10);
        await orm.migrator.down();
      } finally {
        await orm.close(true);
        await rm(migrations, { recursive: true, force: true });
      }
    });
  },
  { drivers: ['postgresql'] },
);
