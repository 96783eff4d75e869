// The vitest matchers, as an app's own test uses them: `@stratum/profiler/vitest` in a setup file.
import '@stratum/profiler/vitest';
import { MikroORM } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { instrument } from '@stratum/profiler';
import { expectConstantQueries } from '@stratum/profiler/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Artist, ArtistSchema, Song, SongSchema } from '../src/entities.js';

let orm: MikroORM;

beforeAll(async () => {
  orm = await MikroORM.init({ driver: SqliteDriver, dbName: ':memory:', entities: [ArtistSchema, SongSchema] });
  await orm.schema.create();
  instrument(orm);
  const em = orm.em.fork();
  const artist = em.create(Artist, { name: 'AC/DC' });
  for (let i = 0; i < 20; i++) em.create(Song, { title: `Song ${i}`, seconds: 100 + i, artist });
  await em.flush();
});

afterAll(() => orm.close());

it('counts the queries of a function', async () => {
  await expect(() => orm.em.fork().find(Song, {}, { limit: 5 })).toIssueQueries(1);
});

it('finds no N+1 when the relation is populated', async () => {
  await expect(() => orm.em.fork().find(Song, {}, { populate: ['artist'] })).toHaveNoNPlusOne();
});

it('keeps a constant number of queries whatever the number of rows', async () => {
  await expectConstantQueries({
    seed: async (factor) => {
      const em = orm.em.fork();
      const artist = em.create(Artist, { name: `Artist ${factor}` });
      for (let i = 0; i < 5 * factor; i++) em.create(Song, { title: `Song ${i}`, seconds: i, artist });
      await em.flush();
    },
    run: () => orm.em.fork().find(Song, {}, { populate: ['artist'] }),
    reset: () => orm.schema.clear(),
  });
});
