import { Client } from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPostgres, usePostgresDatabase } from '../../../test/harness/index.js';
import { type IndexLintFinding, lintIndexes, parseWorkload } from '../src/index.js';

describeWithPostgres('lintIndexes on PostgreSQL', () => {
  const db = usePostgresDatabase();
  let client: Client;
  let findings: IndexLintFinding[];

  beforeAll(async () => {
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      create table artist (id int primary key, name text not null);
      create table album (id int primary key, artist_id int not null references artist (id), title text not null,
                          label_id int references artist (id));
      create table track (id int primary key, album_id int not null references album (id), name text not null);
      create index track_album_id on track (album_id);
      create index track_album_id_name on track (album_id, name);
      create index album_title_a on album (title);
      create index album_title_b on album (title);
      create unique index artist_name_unique on artist (name);
      insert into artist values (1, 'a'), (2, 'b');
      insert into album values (1, 1, 'x', null), (2, 1, 'x', null);
    `);
    // A unique index built concurrently on duplicated data fails and leaves an INVALID index behind.
    await client.query('create unique index concurrently album_title_unique on album (title)').catch(() => {});
    const workload = parseWorkload({
      version: 1,
      queries: [
        { example: { sql: 'select * from "album" where "artist_id" = ?', params: [1] }, calls: 10 },
        { example: { sql: 'select * from "track" where "album_id" = ?', params: [1] }, calls: 10 },
      ],
    });
    findings = await lintIndexes({ client, workload });
  });
  afterAll(() => client?.end());

  const kinds = <K extends IndexLintFinding['kind']>(kind: K) =>
    findings.filter((f): f is Extract<IndexLintFinding, { kind: K }> => f.kind === kind);

  it('reports the invalid index a failed CREATE INDEX CONCURRENTLY left, with the drop that fixes it', () => {
    expect(kinds('invalid-index')).toEqual([
      expect.objectContaining({
        table: 'album',
        index: 'album_title_unique',
        fix: 'drop index concurrently if exists "public"."album_title_unique";',
      }),
    ]);
  });

  it('reports a duplicate once, keeping the first by name', () => {
    expect(kinds('duplicate-index').map((f) => [f.index, f.coveredBy])).toEqual([['album_title_b', 'album_title_a']]);
  });

  it('reports an index that is a left prefix of another', () => {
    expect(kinds('redundant-prefix').map((f) => [f.index, f.coveredBy])).toEqual([
      ['track_album_id', 'track_album_id_name'],
    ]);
  });

  it('reports unused indexes with the age of the statistics, never a unique or primary key', () => {
    const unused = kinds('unused-index');
    expect(unused.map((f) => f.index).sort()).toEqual([
      'album_title_a',
      'album_title_b',
      'track_album_id',
      'track_album_id_name',
    ]);
    for (const finding of unused) expect(finding.statsSince).toMatch(/^\d{4}-\d{2}-\d{2} /);
  });

  it('reports the foreign key without an index that a query of the workload needs, and only that one', () => {
    expect(kinds('fk-without-index')).toEqual([
      expect.objectContaining({
        table: 'album',
        foreignKey: 'album_artist_id_fkey',
        columns: ['artist_id'],
        queries: ['workload#0'],
        fix: 'create index concurrently if not exists "album_artist_id_fk_idx" on "public"."album" ("artist_id");',
      }),
    ]);
  });

  it('without a workload, reports every foreign key without an index', async () => {
    const all = await lintIndexes({ client });
    expect(
      all
        .filter((f) => f.kind === 'fk-without-index')
        .map((f) => 'foreignKey' in f && f.foreignKey)
        .sort(),
    ).toEqual(['album_artist_id_fkey', 'album_label_id_fkey']);
  });
});
