import { BaseRepository } from '@stratum/core';
import type { Album } from '../entities/album.js';

/**
 * Repository of {@link Album}. Albums: each by one artist, holding its tracks.
 *
 * @example
 * const repo = em.getRepository(Album); // typed as AlbumRepository
 */
export class AlbumRepository extends BaseRepository<Album> {}
