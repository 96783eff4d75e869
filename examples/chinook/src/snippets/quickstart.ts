import 'reflect-metadata';
import { EntityRepositoryType, MikroORM } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { BaseRepository } from '@stratum/core';

/** packages/core/README.md: a whole app in one file, on an in-memory SQLite database. */
export async function quickstart() {
  // #region doc
  class SongRepository extends BaseRepository<Song> {}

  @Entity({ repository: () => SongRepository })
  class Song {
    [EntityRepositoryType]?: SongRepository;
    @PrimaryKey() id!: number;
    @Property() title!: string;
    @Property() seconds!: number;
  }

  const orm = await MikroORM.init({
    driver: SqliteDriver,
    dbName: ':memory:',
    entities: [Song],
    metadataProvider: ReflectMetadataProvider,
  });
  await orm.schema.create();
  const songs = orm.em.fork().getRepository(Song);

  const ids = await songs.insertMany(
    Array.from({ length: 500 }, (_, i) => ({ title: `Song ${i}`, seconds: 120 + (i % 90) })),
  );
  const page = await songs.findPage({ orderBy: { seconds: 'desc' }, page: 1, perPage: 10 });
  const slice = await songs.findByCursor({ orderBy: { title: 'asc' }, first: 10, after: undefined });
  let streamed = 0;
  for await (const song of songs.stream({ seconds: { $gte: 200 } }, { batchSize: 100 })) {
    streamed += song.seconds >= 200 ? 1 : 0;
  }
  const [stats] = await songs.aggregate({ metrics: { songs: { count: '*' }, longest: { max: 'seconds' } } });
  await orm.close();
  // #endregion doc
  return { ids, page, slice, streamed, stats };
}
