import { BaseRepository } from '@stratum/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Genre, Track } from '../../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../../test/harness/index.js';
import { type LoggedQuery, useChinook } from '../../../../test/support/use-chinook.js';
import {
  type Fingerprint,
  fingerprintSql,
  isPostgresParserLoaded,
  loadPostgresParser,
  SqlFingerprinter,
} from '../../src/fingerprint/fingerprint.js';

/** MikroORM's logger context also carries the SQL with the values inlined (`formatted`). */
function formattedOf(query: LoggedQuery): string | undefined {
  const formatted = (query as { formatted?: unknown }).formatted;
  return typeof formatted === 'string' ? formatted : undefined;
}

describeEachDriver('fingerprints of the SQL MikroORM 7 sends', (ctx) => {
  const chinook = useChinook(ctx);
  const dialect = ctx.driver;
  const seen: LoggedQuery[] = [];

  beforeAll(async () => {
    // PostgreSQL: tables and kinds come from libpg-query's parse tree.
    if (dialect === 'postgresql') await loadPostgresParser();
  });

  /** The data statements `run` sent (no BEGIN/COMMIT). */
  async function statementsOf(run: () => Promise<unknown>): Promise<LoggedQuery[]> {
    chinook.resetQueries();
    await run();
    const statements = chinook.statements();
    seen.push(...statements);
    return statements;
  }

  /** The one fingerprint of the statements of `run` whose kind is `kind`. */
  async function fingerprintOf(run: () => Promise<unknown>, kind: Fingerprint['kind']): Promise<Fingerprint> {
    const fingerprints = (await statementsOf(run))
      .map((q) => fingerprintSql(q.query, dialect))
      .filter((f) => f.kind === kind);
    expect(fingerprints.map((f) => f.normalized)).toHaveLength(1);
    return fingerprints[0] as Fingerprint;
  }

  it('groups em.find(Track, { id: { $in } }) with 2 and 3 ids', async () => {
    const two = await fingerprintOf(() => chinook.em().find(Track, { id: { $in: [1, 2] } }), 'select');
    const three = await fingerprintOf(() => chinook.em().find(Track, { id: { $in: [1, 2, 3] } }), 'select');
    expect(three).toBe(two);
    expect(two.normalized).toBe('select t0.* from track as t0 where t0.id in (?+)');
    expect(two.tables).toEqual(['track']);
    expect(two.kind).toBe('select');
    const one = await fingerprintOf(() => chinook.em().find(Track, { id: { $in: [7] } }), 'select');
    expect(one.id).toBe(two.id);
  });

  it('groups a populated find whatever the ids, and lists the joined tables in order', async () => {
    const find = (ids: number[], limit: number) =>
      chinook
        .em()
        .find(
          Track,
          { id: { $in: ids }, name: { $like: "%O'Brien -- (%" } },
          { populate: ['album', 'genre'], orderBy: { name: 'asc' }, limit },
        );
    const a = await fingerprintOf(() => find([1, 2], 5), 'select');
    const b = await fingerprintOf(() => find([3, 4, 5, 6], 50), 'select');
    expect(b.id).toBe(a.id);
    expect(a.tables).toEqual(['track', 'album', 'genre']);
    expect(a.normalized).toContain(' where t0.id in (?+) and t0.name like ? order by t0.name asc limit ?');
  });

  it('separates different filters: another column, is null vs = ?', async () => {
    const byName = await fingerprintOf(() => chinook.em().find(Track, { name: 'x' }), 'select');
    const byComposer = await fingerprintOf(() => chinook.em().find(Track, { composer: 'x' }), 'select');
    const nullComposer = await fingerprintOf(() => chinook.em().find(Track, { composer: null }), 'select');
    expect(new Set([byName.id, byComposer.id, nullComposer.id]).size).toBe(3);
    expect(nullComposer.normalized).toBe('select t0.* from track as t0 where t0.composer is null');
  });

  it("groups MikroORM's batch insert of 2 and 3 entities", async () => {
    const insert = (from: number, count: number) => async () => {
      const em = chinook.em();
      for (let i = 0; i < count; i++) em.create(Genre, { id: from + i, name: `Genre ${from + i}` });
      await em.flush();
    };
    const two = await fingerprintOf(insert(1000, 2), 'insert');
    const three = await fingerprintOf(insert(1010, 3), 'insert');
    expect(three.id).toBe(two.id);
    expect(two.normalized).toBe('insert into genre (id, name) values (?, ?), ...');
    expect(two.tables).toEqual(['genre']);
  });

  it("groups MikroORM's batch update (CASE arms) of 2 and 3 entities", async () => {
    const rename = (ids: number[]) => async () => {
      const em = chinook.em();
      const tracks = await em.find(Track, { id: { $in: ids } });
      for (const track of tracks) track.name = `${track.name} (remastered)`;
      await em.flush();
    };
    const two = await fingerprintOf(rename([1, 2]), 'update');
    const three = await fingerprintOf(rename([3, 4, 5]), 'update');
    expect(three.id).toBe(two.id);
    expect(two.normalized).toMatch(
      /^update track set name = case when \(id = \?\) then \? else name end where id in \(\?\+\)/,
    );
    expect(two.tables).toEqual(['track']);
  });

  it('groups em.nativeDelete / nativeUpdate whatever the values', async () => {
    const a = await fingerprintOf(() => chinook.em().nativeDelete(Genre, { id: { $in: [1000, 1001] } }), 'delete');
    const b = await fingerprintOf(
      () => chinook.em().nativeDelete(Genre, { id: { $in: [1010, 1011, 1012] } }),
      'delete',
    );
    expect(b.id).toBe(a.id);
    expect(a.normalized).toBe('delete from genre where id in (?+)');
    const c = await fingerprintOf(() => chinook.em().nativeUpdate(Track, { id: 1 }, { bytes: 12 }), 'update');
    const d = await fingerprintOf(() => chinook.em().nativeUpdate(Track, { id: 2 }, { bytes: -3 }), 'update');
    expect(d.id).toBe(c.id);
    expect(c.normalized).toBe('update track set bytes = ? where id = ?');
  });

  it("groups Stratum's bulk statements (BaseRepository insertMany / updateMany / deleteMany) of 2 and 3 rows", async () => {
    const genres = () => new BaseRepository<Genre>(chinook.em(), Genre);
    const rows = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({ id: from + i, name: `Bulk ${from + i}` }));
    const insert2 = await fingerprintOf(() => genres().insertMany(rows(2000, 2)), 'insert');
    const insert3 = await fingerprintOf(() => genres().insertMany(rows(2010, 3)), 'insert');
    expect(insert3.id).toBe(insert2.id);
    expect(insert2.tables).toEqual(['genre']);
    const update2 = await fingerprintOf(() => genres().updateMany(rows(2000, 2)), 'update');
    const update3 = await fingerprintOf(() => genres().updateMany(rows(2010, 3)), 'update');
    expect(update3.id).toBe(update2.id);
    expect(update2.tables).toEqual(['genre']);
    const delete2 = await fingerprintOf(() => genres().deleteMany([2000, 2001]), 'delete');
    const delete3 = await fingerprintOf(() => genres().deleteMany([2010, 2011, 2012]), 'delete');
    expect(delete3.id).toBe(delete2.id);
    expect(delete2.tables).toEqual(['genre']);
    console.log(
      `${dialect} bulk statements:\n  ${[insert2, update2, delete2].map((f) => `${f.id} ${f.normalized}`).join('\n  ')}`,
    );
  });

  describe('every statement captured above', () => {
    it('has the same fingerprint as its formatted text (values inlined)', () => {
      const withFormatted = seen.filter((q) => formattedOf(q) !== undefined && formattedOf(q) !== q.query);
      expect(withFormatted.length).toBeGreaterThan(10);
      for (const q of withFormatted) {
        expect(fingerprintSql(formattedOf(q) as string, dialect).id, formattedOf(q)).toBe(
          fingerprintSql(q.query, dialect).id,
        );
      }
    });

    it('has the same id, tables and kind with the tokenizer alone as with the dialect', () => {
      expect(isPostgresParserLoaded()).toBe(dialect === 'postgresql');
      const tokenizerOnly = new SqlFingerprinter();
      for (const q of seen) {
        expect(fingerprintSql(q.query, dialect), q.query).toEqual(tokenizerOnly.fingerprint(q.query, 'generic'));
      }
      const groups = new Map<string, number>();
      for (const q of seen) {
        const { normalized } = fingerprintSql(q.query, dialect);
        groups.set(normalized, (groups.get(normalized) ?? 0) + 1);
      }
      console.log(
        `${dialect}: ${seen.length} statements, ${groups.size} fingerprints:\n  ${[...groups]
          .map(
            ([normalized, count]) =>
              `${count} × ${normalized.length > 150 ? `${normalized.slice(0, 150)}…` : normalized}`,
          )
          .join('\n  ')}`,
      );
    });
  });
});
