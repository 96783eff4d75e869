import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Fingerprint,
  fingerprintSql,
  isPostgresParserLoaded,
  loadPostgresParser,
  type SqlDialect,
  SqlFingerprinter,
} from '../../src/fingerprint/fingerprint.js';
import { analyzeSql } from '../../src/fingerprint/sql-normalizer.js';
import { sqlStatementInfo } from '../../src/fingerprint/sql-statement-info.js';

const DIALECTS: readonly SqlDialect[] = ['generic', 'sqlite', 'postgresql'];

/** Table extraction cases: SQL → expected tables (tokenizer and PostgreSQL parser alike). */
const TABLE_CASES: readonly (readonly [string, readonly string[]])[] = [
  ['select * from track', ['track']],
  ['select * from "Track" as "t0"', ['track']],
  ['select * from public.track t0', ['public.track']],
  ['select * from "public"."track"', ['public.track']],
  [
    'select * from track t left join album a on a.id = t.album_id inner join "genre" g on g.id = t.genre_id cross join media_type',
    ['track', 'album', 'genre', 'media_type'],
  ],
  ['select * from a, b as bb, c cc where a.id = bb.id', ['a', 'b', 'c']],
  ['select * from (select * from track where id > 1) as sub join album on true', ['track', 'album']],
  ['select * from track where album_id in (select id from album where artist_id = ?)', ['track', 'album']],
  [
    'select * from track t where exists (select 1 from invoice_line l where l.track_id = t.id)',
    ['track', 'invoice_line'],
  ],
  ['select * from (a join b on a.id = b.a_id) join c on c.id = a.id', ['a', 'b', 'c']],
  ['select * from t, lateral (select * from u where u.t_id = t.id) l', ['t', 'u']],
  ['select * from generate_series(1, 10) g join track on track.id = g', ['track']],
  [
    'with recent as (select * from invoice where total > ?) select * from recent join customer c on true',
    ['invoice', 'customer'],
  ],
  [
    'with recursive t(n) as (select 1 union all select n + 1 from t where n < 10), u as (select * from album) select * from t, u',
    ['album'],
  ],
  ['insert into archive select * from track where id < ?', ['archive', 'track']],
  ['insert into archive (id, name) select id, name from track', ['archive', 'track']],
  ['insert into genre (id, name) values (?, ?) on conflict (id) do update set name = excluded.name', ['genre']],
  ['update track set name = ? where id = ?', ['track']],
  ['update track set name = s.name from staging s where s.id = track.id', ['track', 'staging']],
  ['update only track as t set bytes = 1 from album a where a.id = t.album_id returning t.id', ['track', 'album']],
  ['delete from track where id in (1, 2)', ['track']],
  ['delete from track using album where album.id = track.album_id', ['track', 'album']],
  ['select extract(year from invoice_date), substring(name from 2) from invoice for update of invoice', ['invoice']],
  ['select * from track where name is distinct from composer', ['track']],
  ['select now()::timestamp with time zone from track', ['track']],
  ['select * from "user" join "order" on "order".user_id = "user".id', ['user', 'order']],
  ['truncate table a, b', ['a', 'b']],
  ['select 1', []],
  // Stratum's bulk statements (packages/core/src/bulk).
  [
    'insert into "invoice_line" ("id", "invoice_id") select * from unnest($1::int[], $2::int[]) returning "id"',
    ['invoice_line'],
  ],
  [
    'update "track" set "name" = "__stratum_rows"."v0" from unnest($1::int4[], $2::text[]) as "__stratum_rows" ("k", "v0") where "track"."id" = "__stratum_rows"."k"',
    ['track'],
  ],
  [
    'with "__stratum_rows" ("k", "v0") as (values (?, ?), (?, ?)) update "track" set "name" = "__stratum_rows"."v0" from "__stratum_rows" where "track"."id" = "__stratum_rows"."k"',
    ['track'],
  ],
  ['update "track" set "bytes" = $1 where "id" = any($2::int4[])', ['track']],
];

const KIND_CASES: readonly (readonly [string, Fingerprint['kind']])[] = [
  ['select 1', 'select'],
  ['(select a from t) union (select a from u)', 'select'],
  ['values (1), (2)', 'select'],
  ['with x as (select 1) select * from x', 'select'],
  ['with x as (select 1) insert into t select * from x', 'insert'],
  ['with x as (delete from t returning *) update u set a = 1', 'update'],
  ['insert into t values (1)', 'insert'],
  ['update t set a = 1', 'update'],
  ['delete from t', 'delete'],
  ['begin', 'other'],
  ['savepoint trx1', 'other'],
  ['explain select * from t', 'other'],
  ['create table t (id int primary key)', 'other'],
];

describe('fingerprintSql', () => {
  it('returns a 16-hex-character id of the normalized text, the tables and the kind', () => {
    const fingerprint = fingerprintSql('SELECT "t0".* FROM "track" AS "t0" WHERE "t0"."id" IN (1, 2, 3) -- hi');
    expect(fingerprint).toEqual({
      id: createHash('sha1').update('select t0.* from track as t0 where t0.id in (?+)').digest('hex').slice(0, 16),
      normalized: 'select t0.* from track as t0 where t0.id in (?+)',
      tables: ['track'],
      kind: 'select',
    });
    expect(fingerprint.id).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.isFrozen(fingerprint)).toBe(true);
    expect(Object.isFrozen(fingerprint.tables)).toBe(true);
  });

  it('groups what normalizes the same, on every dialect', () => {
    const groups: readonly (readonly string[])[] = [
      [
        'select * from track where id in (?)',
        'select * from track where id in (1, 2)',
        `select * from track where id in (${Array.from({ length: 50 }, (_, i) => i).join(', ')})`,
        'select * from `track` where `id` in ($1, $2, $3)',
      ],
      [
        'insert into genre (id, name) values (1, ?)',
        `insert into genre (id, name) values ${'(?, ?), '.repeat(4999)}(?, ?)`,
      ],
      ['select * from t where a = ? /* traceparent=abc */', 'select * from "T" where "A" = $1'],
    ];
    for (const group of groups) {
      const ids = new Set(DIALECTS.flatMap((dialect) => group.map((sql) => fingerprintSql(sql, dialect).id)));
      expect(ids.size, group.join('\n')).toBe(1);
    }
    const different = [
      'select * from track where id = ?',
      'select * from track where name = ?',
      'select * from track where id is null',
      'select * from track where id is not null',
      'select * from album where id = ?',
    ];
    expect(new Set(different.map((sql) => fingerprintSql(sql).id)).size).toBe(different.length);
  });

  it.each(TABLE_CASES)('finds the tables of %s', (sql, tables) => {
    expect(fingerprintSql(sql).tables).toEqual(tables);
  });

  it.each(KIND_CASES)('classifies %s', (sql, kind) => {
    expect(fingerprintSql(sql).kind).toBe(kind);
  });

  it('shares one object per normalized text, and a repeated SQL is a cache hit', () => {
    const fingerprinter = new SqlFingerprinter();
    const a = fingerprinter.fingerprint('select * from t where a = 1');
    const b = fingerprinter.fingerprint('select * from t where a = 2');
    expect(b).toBe(a);
    expect(fingerprinter.size).toBe(2);
    expect(fingerprinter.shapes).toBe(1);
    expect(fingerprinter.fingerprint('select * from t where a = 1')).toBe(a);
    expect(fingerprinter.size).toBe(2);
  });

  it('keeps its LRU caches bounded and evicts the least recently used SQL', () => {
    const fingerprinter = new SqlFingerprinter({ capacity: 100 });
    const first = fingerprinter.fingerprint('select c0 from t');
    for (let i = 1; i < 1000; i++) {
      fingerprinter.fingerprint(`select c${i} from t`);
      if (i % 10 === 0) fingerprinter.fingerprint('select c0 from t'); // keeps it recently used
      expect(fingerprinter.size).toBeLessThanOrEqual(100);
      expect(fingerprinter.shapes).toBeLessThanOrEqual(100);
    }
    expect(fingerprinter.size).toBe(100);
    expect(fingerprinter.fingerprint('select c0 from t')).toBe(first);
    // `select c1 from t` was evicted long ago: recomputed (a new, equal object).
    const again = fingerprinter.fingerprint('select c1 from t');
    expect(again).toEqual(new SqlFingerprinter().fingerprint('select c1 from t'));
    fingerprinter.clear();
    expect(fingerprinter.size).toBe(0);
    expect(fingerprinter.shapes).toBe(0);
  });

  it('does not cache SQL longer than maxCachedLength (inlined bulk values would pin memory)', () => {
    const fingerprinter = new SqlFingerprinter({ maxCachedLength: 100 });
    const long = `insert into t (a) values ${Array.from({ length: 100 }, (_, i) => `(${i})`).join(', ')}`;
    const fingerprint = fingerprinter.fingerprint(long);
    expect(fingerprint.normalized).toBe('insert into t (a) values (?), ...');
    expect(fingerprinter.size).toBe(0);
    expect(fingerprinter.shapes).toBe(1);
    expect(fingerprinter.fingerprint(long)).toBe(fingerprint);
  });
});

describe("fingerprintSql(sql, 'postgresql') and libpg-query", () => {
  // Tables the tokenizer cannot see (DDL) but PostgreSQL's parser can.
  const ddl = 'create index track_name_idx on track (name)';

  it('falls back to the tokenizer until the parser is loaded, with the same id', async () => {
    expect(isPostgresParserLoaded()).toBe(false);
    const before = fingerprintSql(ddl, 'postgresql');
    expect(before.tables).toEqual([]);
    await loadPostgresParser();
    expect(isPostgresParserLoaded()).toBe(true);
    await loadPostgresParser(); // idempotent
    const after = fingerprintSql(ddl, 'postgresql');
    expect(after.tables).toEqual(['track']);
    expect(after.id).toBe(before.id);
    expect(after.normalized).toBe(before.normalized);
    // Other dialects keep using the tokenizer.
    expect(fingerprintSql(ddl, 'sqlite').tables).toEqual([]);
  });

  it('reads tables and kinds from the parse tree, agreeing with the tokenizer on DML', async () => {
    await loadPostgresParser();
    for (const [sql, tables] of TABLE_CASES) {
      expect(fingerprintSql(sql, 'postgresql').tables, sql).toEqual(tables);
    }
    for (const [sql, kind] of KIND_CASES) {
      expect(fingerprintSql(sql, 'postgresql').kind, sql).toBe(kind);
    }
    expect(fingerprintSql('alter table "Track" add column x int', 'postgresql').tables).toEqual(['track']);
    expect(fingerprintSql('copy track (id, name) from stdin', 'postgresql').tables).toEqual(['track']);
    expect(fingerprintSql('copy track (id, name) from stdin', 'generic').tables).toEqual(['track']);
  });

  it('falls back to the tokenizer when PostgreSQL cannot parse the SQL (SQLite syntax)', async () => {
    await loadPostgresParser();
    const sql = 'insert or replace into `genre` (`id`, `name`) values (?, ?)';
    const fingerprint = fingerprintSql(sql, 'postgresql');
    expect(fingerprint).toEqual(fingerprintSql(sql, 'sqlite'));
    expect(fingerprint.tables).toEqual(['genre']);
    expect(fingerprint.kind).toBe('insert');
  });

  it('exposes the tokenizer heuristic on its own', () => {
    const { tokens } = analyzeSql('with x as (select * from a) update b set c = 1 from x');
    expect(sqlStatementInfo(tokens)).toEqual({ kind: 'update', tables: ['a', 'b'] });
  });
});
