import { Cached } from '@stratum/cache';
import { BaseRepository } from '@stratum/core';
import { Batched } from '@stratum/dataloader';
import type { Track } from '../entities/track.js';

/**
 * Repository of {@link Track}. Tracks: the catalogue's largest reference table (3503 rows), read with its album, genre and media type.
 *
 * @example
 * const repo = em.getRepository(Track); // typed as TrackRepository
 */
export class TrackRepository extends BaseRepository<Track> {
  /**
   * The tracks of one composer (exact match), by id; `[]` when none. Batched: the calls made on this
   * repository (one per EntityManager fork, i.e. per request) in the same tick run as ONE
   * {@link findManyByComposer} query, e.g. 100 GraphQL resolvers asking for 100 composers.
   *
   * @example
   * ```ts
   * const tracks = orm.em.fork().getRepository(Track);
   * const [acdc, u2] = await Promise.all([tracks.findByComposer('AC/DC'), tracks.findByComposer('U2')]); // 1 query
   * ```
   */
  @Batched({ batch: 'findManyByComposer', key: 'composer', many: true })
  findByComposer(_composer: string): Promise<Track[]> {
    throw new Error('replaced by @Batched'); // never runs: the decorator calls findManyByComposer
  }

  /**
   * One track by primary key, or `null`. Batched: the calls made on this repository in the same tick
   * run as ONE {@link findManyByIds} query, matched back to the calls by `id` (`null` for a missing
   * one), e.g. 100 GraphQL resolvers each resolving one track.
   *
   * @example
   * ```ts
   * const tracks = orm.em.fork().getRepository(Track);
   * const [first, missing] = await Promise.all([tracks.findById(1), tracks.findById(999_999)]); // 1 query
   * ```
   */
  @Batched({ batch: 'findManyByIds', key: 'id' })
  findById(_id: number): Promise<Track | null> {
    throw new Error('replaced by @Batched'); // never runs: the decorator calls findManyByIds
  }

  /**
   * The tracks with these primary keys, in one query (in no particular order; missing ids are absent).
   *
   * @example
   * ```ts
   * const tracks = await orm.em.fork().getRepository(Track).findManyByIds([1, 2, 3]);
   * ```
   */
  findManyByIds(ids: readonly number[]): Promise<Track[]> {
    return this.find({ id: { $in: [...ids] } });
  }

  /**
   * The tracks of any of these composers (exact match), by id, in one query.
   *
   * @example
   * ```ts
   * const tracks = await orm.em.fork().getRepository(Track).findManyByComposer(['AC/DC', 'U2']);
   * ```
   */
  findManyByComposer(composers: readonly string[]): Promise<Track[]> {
    return this.find({ composer: { $in: [...composers] } }, { orderBy: { id: 'asc' } });
  }

  /**
   * One track by primary key, cached for a minute under `track:<id>` and tagged `Track:<id>`: with
   * `enableCache(orm, { invalidateOnWrite: [Track] })`, a flush that changes the track invalidates it.
   * A hit is merged into this repository's EntityManager (managed, not dirty).
   *
   * @example
   * ```ts
   * const track = await orm.em.fork().getRepository(Track).findCached(1); // a query the first time only
   * ```
   */
  @Cached({ key: 'track:{id}', ttl: 60_000, tags: ['Track:{id}'] })
  findCached(id: number): Promise<Track | null> {
    return this.findOne(id);
  }
}
