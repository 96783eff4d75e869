import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPostgres, usePostgresDatabase } from '../../../test/harness/index.js';
import {
  type ChooseProgress,
  createIndexSql,
  DatabaseUnreachableError,
  IndexerOptionError,
  type IndexerWorkload,
  type IndexSuggestions,
  parseSqlText,
  parseWorkload,
  suggestIndexes,
  UnknownTableError,
} from '../src/index.js';

/** A small shop: 40 000 people, 200 000 orders, no secondary index at all. */
const SCHEMA = `
  create extension if not exists hypopg;
  create table people (id serial primary key, email text not null, name text not null, country text not null,
                       created_at timestamptz not null, deleted_at timestamptz);
  insert into people (email, name, country, created_at, deleted_at)
    select 'User' || g || '@Example.com', 'name ' || md5(g::text), (array['DE','FR','US','BR','JP'])[1 + g % 5],
           timestamptz '2024-01-01' + g * interval '13 minutes', case when g % 10 = 0 then now() end
      from generate_series(1, 40000) g;
  create table orders (id serial primary key, person_id int not null references people (id), total numeric(10, 2) not null,
                       placed_at timestamptz not null);
  insert into orders (person_id, total, placed_at)
    select 1 + g % 2000, (g % 997) / 10.0, timestamptz '2024-01-01' + g * interval '3 minutes' from generate_series(1, 200000) g;
  create table audit_log (id serial primary key, actor text not null, at timestamptz not null);
  insert into audit_log (actor, at) select 'actor ' || (g % 500), now() from generate_series(1, 50000) g;
  analyze;
`;

/** What the profiler would write for the shop's app: MikroORM's `?` templates, one call's parameters, the counts. */
const SHOP: [sql: string, params: unknown[], calls: number][] = [
  ['select * from people where lower(email) = ?', ['user77@example.com'], 500],
  ['select * from orders o where o.person_id = ? order by o.placed_at desc limit ?', [1234, 10], 300],
  ['select id, name from people where name ilike ?', ['%abcde%'], 20],
  [
    "select id, created_at from people where country = 'DE' and deleted_at is null and created_at >= ? order by created_at limit ?",
    ['2024-06-01', 20],
    50,
  ],
  ['insert into orders (person_id, total, placed_at) values (?, ?, ?)', [1, 2, '2025-01-01'], 40],
  ['select * from audit_log where actor = ?', ['actor 7'], 1],
  ['insert into audit_log (actor, at) values (?, now())', ['x'], 100_000],
];

function shopWorkload(extra: typeof SHOP = []): IndexerWorkload {
  return parseWorkload(
    {
      version: 1,
      generatedAt: '2026-12-04T19:00:00.000Z',
      dialect: 'postgresql',
      queries: [...extra, ...SHOP].map(([sql, params, calls]) => ({ example: { sql, params }, calls, kind: 'select' })),
    },
    'shop.json',
  );
}

describeWithPostgres('suggestIndexes on PostgreSQL (HypoPG)', () => {
  const db = usePostgresDatabase();
  let client: Client;
  let result: IndexSuggestions;
  let catalogueBefore: string[];
  const progress: ChooseProgress[] = [];

  beforeAll(async () => {
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(SCHEMA);
    catalogueBefore = (
      await client.query('select indexdef from pg_indexes where schemaname = $1 order by 1', ['public'])
    ).rows.map((row) => row.indexdef as string);
    result = await suggestIndexes({
      workload: shopWorkload(),
      clientUrl: db.url,
      onProgress: (event) => progress.push(event),
    });
  });
  afterAll(() => client?.end());

  const suggestion = (sql: string) => result.suggestions.find((s) => createIndexSql(s.index).includes(sql));

  it('evaluates with HypoPG and creates nothing in the database', async () => {
    expect(result.evaluation).toBe('hypopg');
    const after = (await client.query('select indexdef from pg_indexes where schemaname = $1 order by 1', ['public']))
      .rows;
    expect(after.map((row) => row.indexdef)).toEqual(catalogueBefore);
  });

  it('suggests an expression index for lower(email) = ...', () => {
    const pick = suggestion('on "public"."people" ((lower("email")))');
    expect(pick?.index.kinds).toContain('expression');
    const [served] = pick?.reason.queries ?? [];
    expect(served?.source).toBe('shop.json#0');
    // Hypothetical, planned with statistics on lower("email") (created and analysed in a rolled-back transaction).
    expect(pick?.reason.evaluatedWith).toBe('hypopg');
    expect(served?.after).toBeLessThan((served?.before ?? 0) / 10);
  });

  it("suggests the equality column then the ORDER BY column for a customer's latest orders", () => {
    const pick = suggestion('on "public"."orders" ("person_id", "placed_at")');
    expect(pick, JSON.stringify(result.suggestions.map((s) => createIndexSql(s.index)))).toBeDefined();
    expect(pick?.reason.queries.map((q) => q.source)).toEqual(['shop.json#1']);
    expect(pick?.reason.writesSlowed.map((w) => w.calls)).toEqual([40]);
    expect(pick?.reason.writeCost).toBe(400);
  });

  it("suggests a GIN trigram index for ILIKE '%x%', evaluated as a rolled-back build", () => {
    const pick = suggestion('using gin ("name" gin_trgm_ops)');
    expect(pick?.reason.evaluatedWith).toBe('rolled-back-index');
    expect(pick?.reason.estimatedBytes).toBeGreaterThan(0);
  });

  it('suggests a partial index when a predicate compares with literals', () => {
    const partial = result.suggestions.find((s) => s.index.predicate !== null);
    expect(partial?.index.predicate).toBe(`"country" = 'DE' and "deleted_at" is null`);
    expect(createIndexSql(partial!.index)).toContain('("created_at") where');
    expect(partial?.index.kinds).toContain('partial');
  });

  it('suggests nothing for a table whose workload is write-dominated', () => {
    expect(result.suggestions.filter((s) => s.index.table === 'audit_log')).toEqual([]);
    const rejected = result.rejected.find((r) => r.index.table === 'audit_log');
    expect(rejected?.reason).toMatch(/write cost .* outweighs/);
  });

  it('reports its progress: the baseline, each candidate of each round, the final plans', () => {
    expect(progress[0]).toEqual({ phase: 'baseline', round: 0, done: 1, total: 1, picked: 0 });
    expect(progress.at(-1)).toEqual({
      phase: 'final',
      round: 0,
      done: 1,
      total: 1,
      picked: result.suggestions.length,
    });
    const rounds = progress.filter((event) => event.phase === 'round');
    expect(rounds[0]).toMatchObject({ round: 1, done: 0, picked: 0 });
    expect(Math.max(...rounds.map((event) => event.round))).toBeGreaterThanOrEqual(result.suggestions.length);
    for (const event of rounds) expect(event.done).toBeLessThan(event.total);
  });

  it('every pick carries its reason: queries served, cost before and after, size', () => {
    for (const { reason } of result.suggestions) {
      expect(reason.queries.length).toBeGreaterThan(0);
      expect(reason.saved).toBeGreaterThan(0);
      expect(reason.estimatedBytes).toBeGreaterThan(0);
      for (const q of reason.queries) expect(q.after).toBeLessThan(q.before as number);
    }
    expect(result.totalCostAfter).toBeLessThan(result.totalCostBefore / 10);
  });

  it('never suggests what an existing index (or its left prefix) already serves', async () => {
    await client.query('create index people_lower_email on people (lower(email), country)');
    await client.query('create index orders_person_placed on orders (person_id, placed_at)');
    try {
      const again = await suggestIndexes({ workload: shopWorkload(), client });
      const sqls = again.suggestions.map((s) => createIndexSql(s.index));
      expect(sqls.some((sql) => sql.includes('lower("email")'))).toBe(false);
      expect(sqls.some((sql) => sql.includes('"orders"'))).toBe(false);
    } finally {
      await client.query('drop index people_lower_email; drop index orders_person_placed');
    }
  });

  it('reports an unparsable statement and still suggests for the rest', async () => {
    const workload = shopWorkload([['select * from people where', [], 3]]);
    const again = await suggestIndexes({ workload, client });
    expect(again.unparsed).toEqual([
      { source: 'shop.json#0', sql: 'select * from people where', calls: 3, reason: 'syntax error at end of input' },
    ]);
    expect(again.suggestions.length).toBe(result.suggestions.length);
  });

  it('without HypoPG, evaluates with real indexes built in a transaction that is rolled back', async () => {
    await client.query('drop extension hypopg');
    try {
      const workload = parseWorkload({
        version: 1,
        queries: SHOP.slice(0, 2).map(([sql, params, calls]) => ({ example: { sql, params }, calls })),
      });
      const fallback = await suggestIndexes({ workload, client });
      expect(fallback.evaluation).toBe('rolled-back-index');
      expect(fallback.suggestions.map((s) => createIndexSql(s.index).replace(/"[a-z0-9_]+_idx"/, 'NAME'))).toEqual(
        result.suggestions
          .filter((s) => s.reason.queries.some((q) => q.source === 'shop.json#0' || q.source === 'shop.json#1'))
          .map((s) => createIndexSql(s.index).replace(/"[a-z0-9_]+_idx"/, 'NAME')),
      );
      // A real build knows the expression's statistics: the planner's estimate is far better than HypoPG's.
      const email = fallback.suggestions.find((s) => s.index.kinds.includes('expression'));
      expect(email?.reason.queries[0]?.after).toBeLessThan((email?.reason.queries[0]?.before ?? 0) / 10);
      const after = (await client.query('select indexdef from pg_indexes where schemaname = $1 order by 1', ['public']))
        .rows;
      expect(after.map((row) => row.indexdef)).toEqual(catalogueBefore);
    } finally {
      await client.query('create extension hypopg');
    }
  });

  it("serves LIKE 'x%' under a non-C collation with the pattern operator class of the column's type", async () => {
    await client.query(`
      create table codes (id int primary key, code char(10) not null, label varchar(40) not null);
      insert into codes select g, 'C' || lpad(g::text, 9, '0'), 'L' || lpad(g::text, 9, '0') from generate_series(1, 50000) g;
      analyze codes;`);
    try {
      const workload = parseWorkload({
        version: 1,
        queries: [
          { example: { sql: 'select * from codes where code like ?', params: ['C00001234%'] }, calls: 10 },
          { example: { sql: 'select * from codes where label like ?', params: ['L00004321%'] }, calls: 10 },
        ],
      });
      const found = await suggestIndexes({ workload, client });
      expect(found.schema.collation).not.toBe('C');
      expect(found.suggestions.map((s) => createIndexSql(s.index).replace(/"[a-z0-9_]+_idx"/, 'NAME')).sort()).toEqual([
        'create index if not exists NAME on "public"."codes" ("code" bpchar_pattern_ops)',
        'create index if not exists NAME on "public"."codes" ("label" varchar_pattern_ops)',
      ]);
    } finally {
      await client.query('drop table codes');
    }
  });

  it('a statement the planner refuses is reported with its error, the others still evaluated', async () => {
    const workload = shopWorkload([['select * from people where id = ?::int', ['not a number'], 5]]);
    const again = await suggestIndexes({ workload, client });
    const refused = again.queries.find((q) => q.source === 'shop.json#0');
    expect(refused).toMatchObject({
      before: undefined,
      error: 'invalid input syntax for type integer: "not a number"',
    });
    expect(again.suggestions.length).toBe(result.suggestions.length);
  });

  it('a workload with nothing to index gives no suggestion and no error', async () => {
    const none = await suggestIndexes({ workload: parseSqlText('select 1; select now()'), client });
    expect(none.suggestions).toEqual([]);
    expect(none.unparsed).toEqual([]);
  });

  it('reads INCLUDE columns of existing indexes by name, hostile ones too', async () => {
    await client.query(
      'alter table people add column "we""ird" int; create index people_inc on people (country) include ("we""ird")',
    );
    try {
      const found = await suggestIndexes({ workload: parseSqlText('select 1 from people where id = 1'), client });
      expect(found.schema.indexes.find((i) => i.name === 'people_inc')?.include).toEqual(['we"ird']);
    } finally {
      await client.query('drop index people_inc; alter table people drop column "we""ird"');
    }
  });

  it('refuses a workload on a table the database does not have', async () => {
    const error = await suggestIndexes({ workload: parseSqlText('select * from invoices where id = 1'), client }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnknownTableError);
    expect(error).toMatchObject({ code: 'E_UNKNOWN_TABLE', tables: ['invoices'] });
  });
});

describe('suggestIndexes: failures before any analysis', () => {
  it('an unreachable database is a DatabaseUnreachableError with the password masked', async () => {
    const error = await suggestIndexes({
      workload: parseSqlText('select 1'),
      clientUrl: 'postgresql://postgres:secret@127.0.0.1:1/none',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toMatch(
      /^cannot connect to postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none: /,
    );
  });

  it('an option out of range is an IndexerOptionError naming it', async () => {
    const error = await suggestIndexes({
      workload: parseSqlText('select 1'),
      clientUrl: 'postgresql://x',
      maxIndexesPerTable: 0,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexerOptionError);
    expect((error as Error).message).toBe('maxIndexesPerTable must be a positive integer, but got: 0.');
  });
});
