import { BaseRepository } from '@stratum/core';
import type { Track } from '../entities/track.js';

/**
 * Repository of {@link Track}. Tracks: the catalogue's largest reference table (3503 rows), read with its album, genre and media type.
 *
 * @example
 * const repo = em.getRepository(Track); // typed as TrackRepository
 */
export class TrackRepository extends BaseRepository<Track> {}
