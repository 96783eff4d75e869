import type { MikroORM } from '@mikro-orm/core';
import { loaders } from '@stratum/dataloader';
import { Album, Artist, Playlist } from '../entities/index.js';

/** docs/dataloader.md, "Loaders". */
export async function loadersSnippet(orm: MikroORM) {
  // #region doc
  const em = orm.em.fork(); // one fork per request: its loaders live and die with it
  const load = loaders(em);

  const albums = await em.find(Album, {}, { limit: 20, orderBy: { id: 'asc' } });
  // One query each, whatever the number of albums (a GraphQL resolver calls load() once per parent):
  const [artists, tracks, trackCounts] = await Promise.all([
    Promise.all(albums.map((album) => load.entity(Artist).load(album.artist.id))), // many-to-one
    Promise.all(albums.map((album) => load.collection(Album, 'tracks').load(album))), // 1:M, in the relation's order
    Promise.all(albums.map((album) => load.count(Album, 'tracks').load(album))), // counts, rows not loaded
  ]);
  const playlistTracks = await load.collection(Playlist, 'tracks').loadMany([1, 2, 3]); // M:N through the pivot

  // Writes in this request clear what they make stale: the next load queries again.
  await em.getRepository(Album).updateMany([albums[0]!.id], { title: 'Renamed' });
  // #endregion doc
  return { albums, artists, tracks, trackCounts, playlistTracks };
}
