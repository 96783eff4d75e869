import { BaseRepository } from '@stratum/core';
import type { Artist } from '../entities/artist.js';

/**
 * Repository of {@link Artist}. Artists: the root of the catalogue (artist → album → track).
 *
 * @example
 * const repo = em.getRepository(Artist); // typed as ArtistRepository
 */
export class ArtistRepository extends BaseRepository<Artist> {}
