import { describe, expect, it } from 'vitest';
import { analyzeSql, normalizeSql, renderSqlTokens } from '../../src/fingerprint/sql-normalizer.js';

/** Asserts that every SQL text normalizes to `expected`. */
function expectAll(sqls: readonly string[], expected: string): void {
  for (const sql of sqls) {
    expect(normalizeSql(sql), sql).toBe(expected);
  }
}

/** Asserts that the SQL texts normalize to pairwise different texts. */
function expectDistinct(sqls: readonly string[]): void {
  const texts = sqls.map(normalizeSql);
  expect(new Set(texts).size, texts.join('\n')).toBe(sqls.length);
}

const ids = (count: number, from = 1): string => Array.from({ length: count }, (_, i) => String(from + i)).join(', ');
const marks = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
const dollars = (count: number): string => Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ');

describe('normalizeSql', () => {
  describe('lists', () => {
    it('groups IN lists of 1, 2 and 50 values, literals or placeholders', () => {
      expectAll(
        [
          'select * from track where id in (1)',
          'select * from track where id in (1, 2)',
          `select * from track where id in (${ids(50)})`,
          'select * from track where id in (?)',
          `select * from track where id in (${marks(50)})`,
          `select * from track where id in (${dollars(50)})`,
          "select * from track where id in ('a', 'b', E'c\\\\', $$d$$, -1, 2.5e3, null, true)",
          'select * from track where id in(1,2,3)',
        ],
        'select * from track where id in (?+)',
      );
    });

    it('groups composite-key IN lists of any length', () => {
      expectAll(
        [
          'select * from playlist_track where (playlist_id, track_id) in ((1, 2))',
          'select * from playlist_track where (playlist_id, track_id) in ((1, 2), (3, 4), (5, 6))',
          'select * from playlist_track where (playlist_id, track_id) in ((?, ?), (?, ?))',
        ],
        'select * from playlist_track where (playlist_id, track_id) in ((?+)+)',
      );
    });

    it('collapses value-only function arguments and arrays, but not lists with expressions', () => {
      expect(normalizeSql('select coalesce(?, ?), f(a, 1), g() from t')).toBe(
        'select coalesce(?+), f(a, ?), g() from t',
      );
      expect(normalizeSql('select * from t where tags && array[1, 2, 3]')).toBe(
        'select * from t where tags && array[?+]',
      );
      expect(normalizeSql('select * from t where tags && array[?]')).toBe('select * from t where tags && array[?+]');
      expect(normalizeSql('select * from t where id in (select id from u) or id in (1, a)')).toBe(
        'select * from t where id in (select id from u) or id in (?, a)',
      );
    });

    it('groups multi-row VALUES of 1, 2 and 5000 rows (one tuple and `, ...`)', () => {
      const rows = (count: number): string =>
        Array.from({ length: count }, (_, i) => `(${i}, 'name ''${i}'' -- (', ${i * 1.5})`).join(', ');
      expectAll(
        [
          "insert into genre (id, name, score) values (1, 'a', 1.5)",
          `insert into genre (id, name, score) values ${rows(2)}`,
          `insert into genre (id, name, score) values ${rows(5000)}`,
          `insert into genre (id, name, score) values (${marks(3)})`,
          `insert into genre (id, name, score) values ${Array.from({ length: 5000 }, () => `(${marks(3)})`).join(', ')}`,
          'insert into genre (id, name, score) values ($1, $2, $3), ($4, $5, $6)',
          'insert into genre (id, name, score) values (?, default, ?), (?, ?, ?)',
        ],
        'insert into genre (id, name, score) values (?, ?, ?), ...',
      );
    });

    it('keeps what follows the VALUES rows, and rows holding expressions or subqueries', () => {
      expect(
        normalizeSql(
          "insert into t (a, b) values (1, (select max(x) from u)), (2, ')(') on conflict (a) do update set b = excluded.b returning a",
        ),
      ).toBe(
        'insert into t (a, b) values (?, (select max(x) from u)), ... on conflict (a) do update set b = excluded.b returning a',
      );
      expect(normalizeSql('select * from (values (1, 2), (3, 4)) as v(a, b)')).toBe(
        'select * from (values (?, ?), ...) as v (a, b)',
      );
    });

    it("groups MikroORM's batch update CASE arms of any batch size, but not different arms", () => {
      const batch = (count: number): string =>
        `update "track" set "name" = case ${Array.from({ length: count }, (_, i) => `when ("id" = ${i + 1}) then 'n${i}'`).join(' ')} else "name" end where "id" in (${ids(count)})`;
      expectAll(
        [batch(2), batch(3), batch(100)],
        'update track set name = case when (id = ?) then ? else name end where id in (?+)',
      );
      expect(normalizeSql("select case when a = 1 then 'x' when b = 2 then 'y' else 'z' end from t")).toBe(
        'select case when a = ? then ? when b = ? then ? else ? end from t',
      );
    });
  });

  describe('literals and placeholders', () => {
    it('groups different literals and every placeholder style', () => {
      expectAll(
        [
          "select * from customer where email = 'ada@example.com'",
          "select * from customer where email = 'grace@example.com'",
          'select * from customer where email = ?',
          'select * from customer where email = ?1',
          'select * from customer where email = $1',
          'select * from customer where email = :email',
          'select * from customer where email = $email',
          "select * from customer where email = E'a\\'b'",
          "select * from customer where email = $tag$ it's $tag$",
          "select * from customer where email = N'x'",
          "select * from customer where email = U&'d\\0061t\\+000061'",
          "select * from customer where email = X'00ff'",
          'select * from customer where email = 42',
          'select * from customer where email = null',
          'select * from customer where email = true',
        ],
        'select * from customer where email = ?',
      );
    });

    it('normalizes numbers: ints, decimals, exponents, hex, signs where an operand is expected', () => {
      expectAll(
        [
          'select a from t where x > 1 and y = 2',
          'select a from t where x > 1.5 and y = .5',
          'select a from t where x > 1e10 and y = 1.5E-3',
          'select a from t where x > -1 and y = +2',
          'select a from t where x >-1 and y =-2',
          'select a from t where x > 0x1F and y = 1_000_000',
          'select a from t where x > -1.5 and y = -.5',
        ],
        'select a from t where x > ? and y = ?',
      );
      expect(normalizeSql('select -1, (-2), f(3, -4) from t limit -1')).toBe('select ?, (?+), f(?+) from t limit ?');
      expect(normalizeSql('select case when a then -1 else -2 end from t')).toBe(
        'select case when a then ? else ? end from t',
      );
      // A binary minus stays an operator: `a - 1`, `a-1`, `f(x) - 1`, `? - 1`.
      expectAll(['select a - 1 from t', 'select a-1 from t', 'select A -1 from t'], 'select a - ? from t');
      expect(normalizeSql('select f(x)-1, ?-1, 2--1 comment\n from t')).toBe('select f(x) - ?, ? - ?, ? from t');
    });

    it('keeps NULL/TRUE/FALSE after IS / NOT (is null and = ? differ)', () => {
      expectDistinct([
        'select * from t where a is null',
        'select * from t where a is not null',
        'select * from t where a = ?',
        'select * from t where a is true',
      ]);
      expect(normalizeSql('select * from t where a IS NOT NULL and b = NULL and c = FALSE')).toBe(
        'select * from t where a is not null and b = ? and c = ?',
      );
      expect(normalizeSql('create table t (a int not null default null)')).toBe(
        'create table t (a int not null default ?)',
      );
    });

    it('does not mistake the contents of strings for syntax', () => {
      expectAll(
        [
          'select * from t where a = ? and b = ?',
          "select * from t where a = 'is it ?' and b = 'in (1, 2'",
          "select * from t where a = 'it''s -- not a comment' and b = '/* nor this'",
          "select * from t where a = E'it\\'s -- not a comment' and b = E'\\\\'",
          "select * from t where a = 'C:\\' and b = 'x'",
          "select * from t where a = $$ in ( ' -- $$ and b = $q$ $$ /* $q$",
          "select * from t where a = 'values (1), (2)' and b = ')'",
        ],
        'select * from t where a = ? and b = ?',
      );
    });

    it('keeps casts, jsonb operators and MikroORM’s escaped `\\?`', () => {
      expect(normalizeSql("select '{1,2}'::int[], $1::jsonb ->> 'a', x::text from t")).toBe(
        'select ?::int[], ?::jsonb ->> ?, x::text from t',
      );
      expect(normalizeSql("select * from t where data ?| array['a', 'b'] and data ?& array['c']")).toBe(
        'select * from t where data ?| array[?+] and data ?& array[?+]',
      );
      expect(normalizeSql("select * from t where data \\? 'a'")).toBe(normalizeSql('select * from t where data ? ?'));
    });

    it('does not take `::` or array slices for `:name` placeholders', () => {
      expect(normalizeSql('select a::int, b[1:2], c[n:m] from t where d = :d')).toBe(
        'select a::int, b[? : ?], c[n : m] from t where d = ?',
      );
    });
  });

  describe('syntax that does not change a query', () => {
    it('drops comments (sqlcommenter tags included)', () => {
      expectAll(
        [
          'select * from t where a = ?',
          "select * from t where a = ? /*controller='users',db_driver='mikro-orm',traceparent='00-abc-01'*/",
          '/* leading */ select * from t -- trailing\nwhere a = ?',
          'select * /* nested /* comment */ still */ from t where a = ?;',
          'select * from t where a = ? -- unterminated at the end',
        ],
        'select * from t where a = ?',
      );
    });

    it('collapses whitespace and lower-cases keywords and names', () => {
      expectAll(
        [
          'select * from track where name = ?',
          'SELECT * FROM Track WHERE Name = ?',
          'select\n\t*\r\n  from   track\twhere name=?',
          'select * from track where name = ?;',
        ],
        'select * from track where name = ?',
      );
      expect(normalizeSql('SELECT COUNT( * ) AS "count", max( t.x ) FROM t')).toBe(
        'select count(*) as count, max(t.x) from t',
      );
    });

    it('groups quoted and unquoted identifiers (double quotes, backticks)', () => {
      expectAll(
        [
          'select t0.id, t0.name from track as t0 where t0.id = ?',
          'select "t0"."id", "t0"."name" from "track" as "t0" where "t0"."id" = ?',
          'select `t0`.`id`, `t0`.`name` from `track` as `t0` where `t0`.`id` = $1',
          'select "T0"."ID", T0.Name from "Track" as t0 where t0.id = ?',
        ],
        'select t0.id, t0.name from track as t0 where t0.id = ?',
      );
      expect(normalizeSql('select "Weird ""Name""" from `my table`')).toBe('select "weird ""name""" from "my table"');
    });

    it('separates different columns, tables, operators and clauses', () => {
      expectDistinct([
        'select * from t where a = ?',
        'select * from t where b = ?',
        'select * from u where a = ?',
        'select * from t where a > ?',
        'select * from t where a = ? limit ?',
        'select a from t where a = ?',
        'select * from t where a = ? and b = ?',
        'select * from t where a in (?)',
        'select * from t where a = any(?)',
      ]);
    });
  });

  it('renders a list as a call after a name, with a space after a keyword or before a column list', () => {
    expect(normalizeSql('insert into "public"."t" ("a") select count(1) from u where exists (select 1)')).toBe(
      'insert into public.t (a) select count(?+) from u where exists (select ?)',
    );
    const { tokens } = analyzeSql('select f(x) over (partition by y) from t');
    expect(renderSqlTokens(tokens)).toBe('select f(x) over (partition by y) from t');
  });

  it('never throws on unterminated or odd input', () => {
    for (const sql of [
      "select 'abc",
      'select "abc',
      'select $$abc',
      'select /* abc',
      ')))(((',
      '',
      ';',
      '$',
      '\\',
      '{}',
    ]) {
      expect(() => normalizeSql(sql)).not.toThrow();
    }
    expect(normalizeSql('')).toBe('');
    expect(normalizeSql("select 'abc")).toBe('select ?');
  });

  it('normalizes a typical 200-character query in a few µs (prints the figure)', () => {
    const sql =
      'select "t0"."id", "t0"."name", "t0"."album_id" from "track" as "t0" left join "album" as "a1" on "t0"."album_id" = "a1"."id" where "t0"."id" in (1, 2, 3) order by "t0"."name" asc limit 10';
    for (let i = 0; i < 20_000; i++) normalizeSql(sql);
    const runs = 100_000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) normalizeSql(sql);
    const micros = ((performance.now() - start) * 1000) / runs;
    console.log(`normalizeSql: ${micros.toFixed(2)} µs per ${sql.length}-character query`);
    const rows = Array.from({ length: 5000 }, (_, i) => `(${i}, 'name ${i}', ${i}.5)`).join(', ');
    const bulk = `insert into "genre" ("id", "name", "score") values ${rows}`;
    const bulkStart = performance.now();
    for (let i = 0; i < 10; i++) normalizeSql(bulk);
    console.log(
      `normalizeSql: ${((performance.now() - bulkStart) / 10).toFixed(2)} ms per 5000-row insert (${bulk.length} characters)`,
    );
    expect(micros).toBeGreaterThan(0);
  });
});
