import { BaseRepository } from '@stratum/core';
import { EagerLoad, type EagerLoaded } from '@stratum/dataloader';
import type { Album } from '../entities/album.js';

/** What {@link AlbumRepository.search} loads with each album. */
export const ALBUM_WITH_ARTIST = ['artist'] as const;

/** What {@link AlbumRepository.withTracks} loads with each album: its tracks and their genres. */
export const ALBUM_WITH_TRACKS = ['artist', 'tracks.genre'] as const;

/**
 * Repository of {@link Album}. Albums: each by one artist, holding its tracks.
 *
 * @example
 * const repo = em.getRepository(Album); // typed as AlbumRepository
 */
export class AlbumRepository extends BaseRepository<Album> {
  /**
   * Albums whose title contains `text`, in id order, each with its artist loaded (`@EagerLoad`: one
   * more query for all the artists).
   *
   * @example
   * const [album] = await em.getRepository(Album).search('Facelift');
   * album?.artist.name; // 'Alice In Chains'
   */
  @EagerLoad(ALBUM_WITH_ARTIST, { strategy: 'select-in' })
  search(text: string): Promise<EagerLoaded<Album, typeof ALBUM_WITH_ARTIST>[]> {
    return this.find({ title: { $like: `%${text}%` } }, { orderBy: { id: 'asc' } }) as Promise<
      EagerLoaded<Album, typeof ALBUM_WITH_ARTIST>[]
    >;
  }

  /**
   * One album with its artist, its tracks and their genres, in one joined query (`@EagerLoad` with
   * `strategy: 'joined'`).
   *
   * @example
   * const album = await em.getRepository(Album).withTracks(1);
   * album.tracks.getItems().map((track) => track.genre?.name);
   */
  @EagerLoad(ALBUM_WITH_TRACKS, { strategy: 'joined' })
  withTracks(id: number): Promise<EagerLoaded<Album, typeof ALBUM_WITH_TRACKS>> {
    return this.findOneOrFail(id) as Promise<EagerLoaded<Album, typeof ALBUM_WITH_TRACKS>>;
  }
}
