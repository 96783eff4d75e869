import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EntitySchema, MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, usePostgresDatabase } from '../../../test/harness/index.js';
import { generatedMigration } from '../../../test/support/generated-migration.js';
import {
  type EntityIndexDeclaration,
  entityIndexDeclarations,
  type IndexSuggestions,
  parseWorkload,
  renderMigration,
  suggestIndexes,
} from '../src/index.js';

interface Person {
  id: number;
  email: string;
  name: string;
  country: string;
  createdAt: Date;
  deletedAt?: Date | null;
}
interface Order {
  id: number;
  person: Person;
  total: number;
  placedAt: Date;
}

/** The app's entities, with the index declarations the indexer emitted (none at first). */
function entities(declarations: readonly EntityIndexDeclaration[] = []) {
  const indexesOf = (entity: string) => declarations.filter((d) => d.entity === entity).map((d) => ({ ...d.options }));
  const person = new EntitySchema<Person>({
    name: 'Person',
    tableName: 'person',
    properties: {
      id: { type: 'integer', primary: true },
      email: { type: 'string' },
      name: { type: 'string' },
      country: { type: 'string' },
      createdAt: { type: 'datetime' },
      deletedAt: { type: 'datetime', nullable: true },
    },
    indexes: indexesOf('Person') as never,
  });
  const order = new EntitySchema<Order>({
    name: 'Order',
    tableName: 'orders',
    properties: {
      id: { type: 'integer', primary: true },
      person: { kind: 'm:1', entity: () => person },
      total: { type: 'decimal', precision: 10, scale: 2 },
      placedAt: { type: 'datetime' },
    },
    indexes: indexesOf('Order') as never,
  });
  return [person, order];
}

const WORKLOAD: [string, unknown[], number][] = [
  ['select "p0".* from "person" as "p0" where lower("p0"."email") = ? limit ?', ['user7@example.com', 1], 300],
  [
    'select "o0".* from "orders" as "o0" where "o0"."total" >= ? order by "o0"."placed_at" desc nulls last limit ?',
    [99, 10],
    100,
  ],
  ['select "p0".* from "person" as "p0" where "p0"."name" ilike ? limit ?', ['%abcdef%', 20], 30],
  [
    `select "p0".* from "person" as "p0" where "p0"."country" = 'DE' and "p0"."deleted_at" is null and "p0"."created_at" >= ? order by "p0"."created_at" asc limit ?`,
    ['2024-06-01', 20],
    50,
  ],
];

describeWithPostgres('entityIndexDeclarations: MikroORM keeps the indexes', () => {
  const db = usePostgresDatabase();
  let orm: MikroORM;
  let result: IndexSuggestions;
  let declarations: EntityIndexDeclaration[];

  beforeAll(async () => {
    orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl: db.url, entities: entities() });
    await orm.schema.create();
    await orm.em.getConnection().execute(`
      create extension if not exists hypopg;
      insert into person (id, email, name, country, created_at, deleted_at)
        select g, 'User' || g || '@Example.com', 'name ' || md5(g::text), (array['DE','FR','US','BR','JP'])[1 + g % 5],
               timestamptz '2024-01-01' + g * interval '13 minutes', case when g % 10 = 0 then now() end
          from generate_series(1, 40000) g;
      insert into orders (id, person_id, total, placed_at)
        select g, 1 + g % 40000, (g % 997) / 10.0, timestamptz '2024-01-01' + g * interval '3 minutes' from generate_series(1, 200000) g;
      analyze;`);
    const workload = parseWorkload({
      version: 1,
      queries: WORKLOAD.map(([sql, params, calls]) => ({ example: { sql, params }, calls })),
    });
    result = await suggestIndexes({ workload, clientUrl: db.url });
    declarations = entityIndexDeclarations(result.suggestions, orm.getMetadata());

    const className = 'Migration20261204193000';
    const dir = fileURLToPath(new URL(`./.migrations-${randomBytes(4).toString('hex')}/`, import.meta.url));
    try {
      const migrator = await MikroORM.init({
        driver: PostgreSqlDriver,
        clientUrl: db.url,
        entities: entities(),
        extensions: [Migrator],
        migrations: await generatedMigration(dir, className, renderMigration(result.suggestions, { className })),
      });
      await migrator.migrator.up();
      await migrator.close(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  afterAll(() => orm?.close(true));

  it('declares plain indexes by properties and the others by their expression', () => {
    const byName = new Map(declarations.map((d) => [d.options.name, d]));
    expect(declarations.length).toBe(result.suggestions.length);
    const kinds = result.suggestions.map((s) => [s.index.name, s.index.kinds.join('+')]);
    expect(kinds.map(([, kind]) => kind).sort()).toEqual(['btree', 'btree+partial', 'expression', 'trigram'].sort());
    for (const { index } of result.suggestions) {
      const declaration = byName.get(index.name);
      expect(declaration?.entity).toBe(index.table === 'person' ? 'Person' : 'Order');
      if (index.kinds.includes('expression') || index.kinds.includes('trigram')) {
        expect(declaration?.options.expression).toMatch(new RegExp(`^create index "${index.name}" on "public"\\.`));
      } else {
        expect(declaration?.options.expression).toBeUndefined();
      }
    }
    const ordered = declarations.find((d) => d.table === 'orders');
    expect(ordered?.options).toEqual({
      name: ordered?.options.name,
      columns: [{ name: 'placedAt', sort: 'desc', nulls: 'last' }],
    });
    expect(ordered?.decorator).toBe(
      `@Index({ name: '${ordered?.options.name}', columns: [{ name: 'placedAt', sort: 'desc', nulls: 'last' }] })`,
    );
    const partial = declarations.find((d) => d.options.where);
    expect(partial?.options).toMatchObject({
      properties: ['createdAt'],
      where: `"country" = 'DE' and "deleted_at" is null`,
    });
  });

  it("without the declarations, MikroORM's schema diff would drop the applied indexes", async () => {
    // MikroORM 7.2.1 would also drop HypoPG's view `hypopg_list_indexes`: advise, then drop the extension.
    await orm.em.getConnection().execute('drop extension if exists hypopg');
    const sql = await orm.schema.getUpdateSchemaSQL();
    for (const { index } of result.suggestions) expect(sql).toContain(`drop index "${index.name}"`);
  });

  it("with them in the entities, MikroORM's schema diff is empty", async () => {
    await orm.em.getConnection().execute('drop extension if exists hypopg');
    const declared = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: db.url,
      entities: entities(declarations),
    });
    try {
      expect((await declared.schema.getUpdateSchemaSQL()).trim()).toBe('');
    } finally {
      await declared.close(true);
    }
  });
});
