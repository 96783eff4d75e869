import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Constructor, MikroORM } from '@mikro-orm/core';
import { type Migration, Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPostgres, usePostgresDatabase } from '../../../test/harness/index.js';
import { importGeneratedMigration } from '../../../test/support/generated-migration.js';
import {
  IndexerOptionError,
  type IndexSuggestions,
  parseWorkload,
  renderMigration,
  suggestIndexes,
} from '../src/index.js';

const HOSTILE_TABLE = 'we"ird; drop table x; --';
const HOSTILE_COLUMN = `Col?"'\`\${x}*/`;
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The migration file in a scratch folder inside the package (so `@mikro-orm/migrations` resolves), imported. */
async function loadMigration(source: string, className: string): Promise<{ cls: Constructor<Migration>; dir: string }> {
  const dir = fileURLToPath(new URL(`./.migrations-${randomBytes(4).toString('hex')}/`, import.meta.url));
  return { cls: await importGeneratedMigration(dir, className, source), dir };
}

async function catalogue(client: Client): Promise<string[]> {
  const { rows } = await client.query(
    `select indexdef || case when i.indisvalid then '' else ' INVALID' end as def
       from pg_indexes x join pg_class c on c.relname = x.indexname join pg_index i on i.indexrelid = c.oid
      where x.schemaname = 'public' and x.tablename <> 'mikro_orm_migrations' order by 1`,
  );
  return rows.map((row) => row.def as string);
}

describeWithPostgres('renderMigration: a migration MikroORM Migrator runs on PostgreSQL', () => {
  const db = usePostgresDatabase();
  let client: Client;
  let suggestions: IndexSuggestions;
  let before: string[];
  let source: string;
  const className = 'Migration20261204190000';

  beforeAll(async () => {
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      create extension if not exists hypopg;
      create table ${q(HOSTILE_TABLE)} (id serial primary key, ${q(HOSTILE_COLUMN)} int not null, "Name" text not null);
      insert into ${q(HOSTILE_TABLE)} (${q(HOSTILE_COLUMN)}, "Name") select g % 20000, 'n' || g from generate_series(1, 100000) g;
      analyze;
    `);
    before = await catalogue(client);
    const workload = parseWorkload({
      version: 1,
      queries: [
        {
          example: { sql: `select * from ${q(HOSTILE_TABLE)} as t where t.${q(HOSTILE_COLUMN)} = ?`, params: [42] },
          calls: 100,
        },
        { example: { sql: `select * from ${q(HOSTILE_TABLE)} where "Name" ilike ?`, params: ['%123%'] }, calls: 10 },
      ],
    });
    suggestions = await suggestIndexes({ workload, client });
    source = renderMigration(suggestions.suggestions, { className });
  });
  afterAll(() => client?.end());

  it('creates CONCURRENTLY IF NOT EXISTS, drops in down(), outside a transaction, commented with the queries served', () => {
    expect(suggestions.suggestions).toHaveLength(2);
    expect(source).toContain('override isTransactional(): boolean {\n    return false;');
    expect(source).toContain('create extension if not exists pg_trgm;');
    expect(source.match(/create index concurrently if not exists /g)).toHaveLength(2);
    expect(source.match(/drop index concurrently if exists /g)).toHaveLength(2);
    expect(source).toMatch(/\/\/ {3}serves workload#0 \(100 calls, cost [\d,.]+ -> [\d,.]+\): select \* from /);
    expect(source).toMatch(/saves ~[\d,.]+ planner cost units per workload run, ~[\d.]+ (kB|MB)/);
  });

  it('is deterministic: the same suggestions render the same file', () => {
    expect(renderMigration(suggestions.suggestions, { className })).toBe(source);
    const names = suggestions.suggestions.map((s) => s.index.name);
    for (const name of names) expect(name).toMatch(/^[a-z0-9_]{1,48}_[0-9a-f]{8}_idx$/);
  });

  it('runs with allOrNothing: false, builds valid indexes on the hostile names, and down() restores the catalogue', async () => {
    const { cls, dir } = await loadMigration(source, className);
    const orm = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: db.url,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      migrations: {
        migrationsList: [{ name: className, class: cls }],
        allOrNothing: false,
        snapshotOnMigrate: false,
        silent: true,
      },
    });
    try {
      expect((await orm.migrator.getPending()).map((m) => m.name)).toEqual([className]);
      await orm.migrator.up();
      const applied = await catalogue(client);
      const added = applied.filter((def) => !before.includes(def));
      expect(added).toHaveLength(2);
      for (const def of added) expect(def).not.toContain('INVALID');
      expect(added.some((def) => def.includes(`USING btree (${q(HOSTILE_COLUMN)})`))).toBe(true);
      expect(added.some((def) => def.includes('USING gin ("Name" gin_trgm_ops)'))).toBe(true);
      const plan = await client.query(`explain select * from ${q(HOSTILE_TABLE)} where ${q(HOSTILE_COLUMN)} = 42`);
      expect(JSON.stringify(plan.rows)).toMatch(/Index Scan|Bitmap/);

      await orm.migrator.down();
      expect(await catalogue(client)).toEqual(before);
    } finally {
      await orm.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres("the Migrator's default allOrNothing: true and CREATE INDEX CONCURRENTLY", () => {
  const db = usePostgresDatabase();

  it('after another migration of the same run, the concurrent build waits for the run forever', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      'create table t (id int primary key, x int); insert into t select g, g from generate_series(1, 1000) g',
    );
    const first = await loadMigration(
      `import { Migration } from '@mikro-orm/migrations';
export class Migration20261204000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('update "t" set x = x where id = 1;');
  }
}
`,
      'Migration20261204000000',
    );
    const second = await loadMigration(
      renderMigration([], { className: 'Migration20261204000001' }).replace(
        'override async up(): Promise<void> {\n',
        `override async up(): Promise<void> {\n    this.addSql('create index concurrently if not exists "t_x" on "t" ("x");');\n`,
      ),
      'Migration20261204000001',
    );
    const orm = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: db.url,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      migrations: {
        migrationsList: [
          { name: 'Migration20261204000000', class: first.cls },
          { name: 'Migration20261204000001', class: second.cls },
        ],
        snapshotOnMigrate: false,
        silent: true,
      },
    });
    try {
      const run = orm.migrator.up().then(
        () => 'applied',
        () => 'failed',
      );
      const outcome = await Promise.race([run, new Promise((resolve) => setTimeout(() => resolve('waiting'), 3000))]);
      expect(outcome).toBe('waiting');
      const { rows } = await client.query(
        `select wait_event_type from pg_stat_activity where datname = current_database() and query like 'create index concurrently%'`,
      );
      expect(rows).toEqual([{ wait_event_type: 'Lock' }]);
      // End the stuck build: the run then fails and its master transaction rolls back.
      await client.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'create index concurrently%'`,
      );
      expect(await run).toBe('failed');
    } finally {
      await orm.close(true);
      await client.end();
      await rm(first.dir, { recursive: true, force: true });
      await rm(second.dir, { recursive: true, force: true });
    }
  });
});

describe('renderMigration: bad input', () => {
  it('refuses a class name that is not an identifier', () => {
    expect(() => renderMigration([], { className: 'Migration x; process.exit()' })).toThrow(IndexerOptionError);
  });

  it('names the class after the date, as MikroORM names migrations', () => {
    expect(renderMigration([], { date: new Date('2026-12-04T19:05:06Z') })).toContain(
      'export class Migration20261204190506 extends Migration',
    );
  });
});
