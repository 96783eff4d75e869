import { RequestContext, raw } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { BaseRepository, InvalidArgumentError, UnknownFieldError } from '@stratum/core';
import { describe, expect, it } from 'vitest';
import { Album, Artist, Genre, Playlist, PlaylistTrack, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { LoaderScopeError, loaderFor, loaders } from '../src/index.js';

/** A repository with batch methods of the kinds `loaderFor` accepts. */
class ComposerTracks extends BaseRepository<Track> {
  constructor(em: SqlEntityManager) {
    super(em, Track);
  }

  findByComposers(composers: readonly string[]): Promise<Track[]> {
    return this.find({ composer: { $in: composers as string[] } }, { orderBy: { id: 'asc' } });
  }

  async firstByComposer(composers: readonly string[]): Promise<Map<string, Track>> {
    const tracks = await this.findByComposers(composers);
    const first = new Map<string, Track>();
    for (const track of tracks) if (!first.has(track.composer as string)) first.set(track.composer as string, track);
    return first;
  }

  async nameLengths(ids: readonly number[]): Promise<(number | Error)[]> {
    const tracks = await this.find({ id: { $in: ids as number[] } });
    return ids.map((id) => tracks.find((track) => track.id === id)?.name.length ?? new Error(`no track ${id}`));
  }

  async tooFew(ids: readonly number[]): Promise<number[]> {
    return ids.slice(1).map(Number);
  }

  async broken(_ids: readonly number[]): Promise<number[]> {
    throw new Error('the batch query failed');
  }
}

describeEachDriver('loaders()', (ctx) => {
  const chinook = useChinook(ctx);

  describe('entity(): by primary key', () => {
    it('loads many keys in one query, in key order, with null for a missing key', async () => {
      const em = chinook.em();
      chinook.resetQueries();
      const albums = await Promise.all([3, 1, 999_999, 2].map((id) => loaders(em).entity(Album).load(id)));
      expect(albums.map((album) => album?.id ?? null)).toEqual([3, 1, null, 2]);
      expect(chinook.statements()).toHaveLength(1);
    });

    it('puts what it loads in the identity map: the same instance as em.findOne', async () => {
      const em = chinook.em();
      const loaded = await loaders(em).entity(Artist).load(1);
      expect(await em.findOne(Artist, 1)).toBe(loaded);
      expect(em.getUnitOfWork().getIdentityMap().values().length).toBe(1);
    });

    it('accepts the entity or its primary key as key, and caches per request', async () => {
      const em = chinook.em();
      const album = await em.findOneOrFail(Album, 1);
      chinook.resetQueries();
      const [a, b] = await Promise.all([loaders(em).entity(Album).load(album), loaders(em).entity(Album).load('1')]);
      expect(a).toBe(album);
      expect(b).toBe(album);
      await loaders(em).entity(Album).load(1);
      expect(chinook.statements()).toHaveLength(1);
    });
  });

  describe('collection(): 1:M by foreign key', () => {
    it('loads the children of many parents in one query, grouped by parent, [] when none', async () => {
      const em = chinook.em();
      chinook.resetQueries();
      const [one, two, none] = await loaders(em).collection(Album, 'tracks').loadMany([1, 2, 999_999]);
      expect((one as Track[]).map((track) => track.id)).toEqual([1, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      expect((two as Track[]).map((track) => track.id)).toEqual([2]);
      expect(none).toEqual([]);
      expect(chinook.statements()).toHaveLength(1);
      expect(chinook.statements()[0]!.query).toMatch(/in \(/i);
    });
  });

  describe('collection(): the relation’s orderBy', () => {
    it('returns the children in the order the relation declares, like populate', async () => {
      const populated = await chinook
        .em()
        .find(Artist, { id: [1, 22, 90] }, { populate: ['albums'], orderBy: { id: 'asc' } });
      const em = chinook.em();
      const albums = await loaders(em).collection(Artist, 'albums').loadMany([1, 22, 90]);
      const titles = albums.map((list) => (list as Album[]).map((album) => album.title));
      expect(titles).toEqual(populated.map((artist) => artist.albums.getItems().map((album) => album.title)));
      for (const list of titles) {
        expect(list).toEqual([...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
      expect(titles[1]!.length).toBeGreaterThan(5); // Led Zeppelin: enough albums for the order to matter
    });
  });

  describe('MikroORM’s own dataloader option alongside', () => {
    it('gives the same answers and the same instances when both batch in one request', async () => {
      const em = chinook.em();
      const albums = await em.find(Album, { id: [1, 2, 3] }, { orderBy: { id: 'asc' } });
      const [mikro, stratum] = await Promise.all([
        Promise.all(albums.map((album) => album.tracks.load({ dataloader: true }))),
        Promise.all(albums.map((album) => loaders(em).collection(Album, 'tracks').load(album))),
      ]);
      expect(stratum.map((tracks) => tracks.map((track) => track.id))).toEqual(
        mikro.map((tracks) => (tracks.getIdentifiers() as number[]).sort((a, b) => a - b)),
      );
      expect(stratum[0]![0]).toBe(albums[0]!.tracks.getItems().find((track) => track.id === stratum[0]![0]!.id));
    });
  });

  describe('collection(): M:N through the pivot', () => {
    it('loads the targets of many owners in one query, from either side', async () => {
      const expected1 = await chinook.em().find(Track, { playlists: 1 }, { orderBy: { id: 'asc' } });
      const expectedOfTrack1 = await chinook.em().find(Playlist, { tracks: 1 }, { orderBy: { id: 'asc' } });
      expect(expected1.length).toBeGreaterThan(100);
      expect(expectedOfTrack1.length).toBeGreaterThan(1);
      const em = chinook.em();
      chinook.resetQueries();
      const [playlist1, playlist2] = await loaders(em).collection(Playlist, 'tracks').loadMany([1, 2]);
      const [playlistsOfTrack1] = await loaders(em).collection(Track, 'playlists').loadMany([1]);
      expect((playlist1 as Track[]).map((track) => track.id)).toEqual(expected1.map((track) => track.id));
      expect(playlist2).toEqual([]);
      expect((playlistsOfTrack1 as Playlist[]).map((playlist) => playlist.id)).toEqual(
        expectedOfTrack1.map((p) => p.id),
      );
      expect(chinook.statements()).toHaveLength(2);
    });
  });

  describe('count()', () => {
    it('counts the children of many parents in one grouped query, 1:M and M:N', async () => {
      const onPlaylist1 = await chinook.em().count(Track, { playlists: 1 });
      const em = chinook.em();
      chinook.resetQueries();
      const [counts, playlists] = await Promise.all([
        loaders(em).count(Album, 'tracks').loadMany([1, 2, 999_999]),
        loaders(em).count(Playlist, 'tracks').loadMany([1, 2]),
      ]);
      expect(counts).toEqual([10, 1, 0]);
      expect(playlists).toEqual([onPlaylist1, 0]);
      expect(chinook.statements()).toHaveLength(2);
      expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
    });
  });

  describe('loaderFor(): a repository method that takes many keys', () => {
    it('batches the keys of one tick into one call, matching rows by a property', async () => {
      const em = chinook.em();
      const repo = new ComposerTracks(em);
      const byComposer = loaderFor<ComposerTracks, 'findByComposers', Track[]>(repo, 'findByComposers', {
        key: 'composer',
        many: true,
      });
      chinook.resetQueries();
      const [acdc, nobody] = await Promise.all([byComposer.load('AC/DC'), byComposer.load('Nobody At All')]);
      expect(chinook.statements()).toHaveLength(1);
      expect(acdc.length).toBeGreaterThan(1);
      expect(acdc.every((track) => track.composer === 'AC/DC')).toBe(true);
      expect(nobody).toEqual([]);
    });

    it('takes a Map from key to result, null for a key it lacks', async () => {
      const repo = new ComposerTracks(chinook.em());
      const first = loaderFor<ComposerTracks, 'firstByComposer', Track | null>(repo, 'firstByComposer');
      const [acdc, nobody] = await first.loadMany(['AC/DC', 'Nobody At All']);
      expect((acdc as Track).composer).toBe('AC/DC');
      expect(nobody).toBeNull();
    });

    it('rejects only the caller whose item is an Error, and every caller when the method throws', async () => {
      const repo = new ComposerTracks(chinook.em());
      const lengths = loaderFor<ComposerTracks, 'nameLengths', number>(repo, 'nameLengths');
      const [ok, missing] = await Promise.allSettled([lengths.load(1), lengths.load(999_999)]);
      expect(ok).toEqual({ status: 'fulfilled', value: 'For Those About To Rock (We Salute You)'.length });
      expect(missing).toMatchObject({ status: 'rejected', reason: { message: 'no track 999999' } });
      const broken = loaderFor<ComposerTracks, 'broken', number>(repo, 'broken');
      const results = await Promise.allSettled([broken.load(1), broken.load(2)]);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      expect(results.map((result) => (result as PromiseRejectedResult).reason.message)).toEqual([
        'the batch query failed',
        'the batch query failed',
      ]);
    });

    it('rejects with a typed error when the method returns the wrong number of results', async () => {
      const repo = new ComposerTracks(chinook.em());
      const results = await loaderFor<ComposerTracks, 'tooFew', number>(repo, 'tooFew').loadMany([1, 2, 3]);
      for (const result of results) {
        expect(result).toBeInstanceOf(InvalidArgumentError);
        expect((result as InvalidArgumentError).message).toMatch(/one item per key, in key order \(3 keys\)/);
      }
    });

    it('refuses a name that is not a method', () => {
      const repo = new ComposerTracks(chinook.em());
      expect(() => loaderFor(repo, 'noSuchMethod' as never)).toThrow(InvalidArgumentError);
      expect(() => loaderFor(repo, 'findByComposers', { many: true })).toThrow(
        /options.many must be used together with options.key/,
      );
    });
  });

  describe('batches and failures', () => {
    it('splits a batch larger than maxBatchSize and still answers every key in order', async () => {
      const em = chinook.em();
      const load = loaders(em, { maxBatchSize: 100 });
      chinook.resetQueries();
      const ids = Array.from({ length: 250 }, (_, i) => 250 - i);
      const tracks = await Promise.all(ids.map((id) => load.entity(Track).load(id)));
      expect(tracks.map((track) => track?.id)).toEqual(ids);
      expect(chinook.statements()).toHaveLength(3);
    });

    it('answers more keys in one query than the database could bind: MikroORM sends the values inline', async () => {
      const em = chinook.em();
      const load = loaders(em, { maxBatchSize: 100_000 });
      // 70 000 keys: more than PostgreSQL's 65 535 bound parameters and SQLite's 32 766. 3503 tracks exist.
      const ids = Array.from({ length: 70_000 }, (_, i) => i + 1);
      chinook.resetQueries();
      const tracks = await load.entity(Track).loadMany(ids);
      expect(tracks.filter((track) => track !== null)).toHaveLength(3503);
      expect((tracks[41] as Track).id).toBe(42);
      expect(tracks[69_999]).toBeNull();
      expect(chinook.statements()).toHaveLength(1);
    });

    it('loads a full default batch of composite keys in one query, in key order, by value or by entity', async () => {
      const all = await chinook.em().find(PlaylistTrack, {}, { orderBy: { playlist: 'desc', track: 'asc' } });
      const keys: unknown[] = all.slice(0, 4999).map((row) => [row.playlist.id, row.track.id]);
      keys.push([1, 999_999]); // no such row
      const em = chinook.em();
      const byEntity = await em.findOneOrFail(PlaylistTrack, { playlist: 1 }, { orderBy: { track: 'asc' } });
      chinook.resetQueries();
      const load = loaders(em).entity(PlaylistTrack);
      const rows = await load.loadMany(keys);
      expect(chinook.statements()).toHaveLength(1); // 5000 keys: more than SQLite's expression depth of 1000
      expect(
        rows.slice(0, -1).map((row) => [(row as PlaylistTrack).playlist.id, (row as PlaylistTrack).track.id]),
      ).toEqual(keys.slice(0, -1));
      expect(rows.at(-1)).toBeNull();
      expect(await load.load(byEntity)).toBe(byEntity); // the entity as key: its composite key, the same instance
    });

    it('rejects every key of a batch whose query fails, and does not cache the failure', async () => {
      const em = chinook.em();
      em.addFilter({ name: 'broken', cond: { [raw('no_such_column')]: 1 }, entity: [Album], default: true });
      const results = await Promise.allSettled([1, 2].map((id) => loaders(em).entity(Album).load(id)));
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      expect((results[0] as PromiseRejectedResult).reason).toBe((results[1] as PromiseRejectedResult).reason);
      expect(String((results[0] as PromiseRejectedResult).reason.message)).toMatch(/no_such_column/);
      em.addFilter({ name: 'broken', cond: {}, entity: [Album], default: true }); // the cause is gone
      expect((await loaders(em).entity(Album).load(1))?.id).toBe(1); // a failure is not cached: it queried again
    });
  });

  describe('MikroORM filters of the EntityManager', () => {
    it('applies the request’s filters and their parameters (e.g. a tenant)', async () => {
      const em = chinook.em();
      em.addFilter({ name: 'genre', cond: (args: Record<string, number>) => ({ genre: args.genre }), entity: [Track] });
      em.setFilterParams('genre', { genre: 1 });
      const [rockOnAlbum1, trackOf1, count] = await Promise.all([
        loaders(em).collection(Album, 'tracks').load(1),
        loaders(em).entity(Track).loadMany([1, 2]),
        loaders(em).count(Album, 'tracks').load(1),
      ]);
      expect(rockOnAlbum1.every((track) => track.genre?.id === 1)).toBe(true);
      const unfiltered = await chinook.em().find(Track, { album: 1, genre: 1 });
      expect(rockOnAlbum1).toHaveLength(unfiltered.length);
      expect(count).toBe(unfiltered.length);
      const playlist1 = await chinook.em().find(Track, { playlists: 1, genre: 1 });
      const [onPlaylist, countOnPlaylist] = await Promise.all([
        loaders(em).collection(Playlist, 'tracks').load(1),
        loaders(em).count(Playlist, 'tracks').load(1),
      ]);
      expect(onPlaylist).toHaveLength(playlist1.length); // M:N: the targets' filters apply through the pivot
      expect(countOnPlaylist).toBe(playlist1.length);
      const genres = await chinook.em().find(Track, { id: [1, 2] }, { orderBy: { id: 'asc' } });
      expect(trackOf1.map((track) => (track === null ? null : (track as Track).id))).toEqual(
        genres.map((track) => (track.genre?.id === 1 ? track.id : null)),
      );
    });
  });

  describe('request scope', () => {
    it('gives each fork its own loaders, and RequestContext resolves the global EntityManager to the request', async () => {
      const a = chinook.em();
      const b = chinook.em();
      expect(loaders(a)).not.toBe(loaders(b));
      expect(loaders(a)).toBe(loaders(a));
      await RequestContext.create(chinook.orm.em, async () => {
        expect(loaders(chinook.orm.em).em).toBe(RequestContext.getEntityManager());
      });
    });

    it('never hands one request’s rows to another: concurrent requests with different tenants', async () => {
      // An album whose tracks have two genres: each "tenant" (genre) may see only its own.
      const all = await chinook.em().find(Track, {}, { orderBy: { id: 'asc' } });
      const genresOf = new Map<number, Set<number>>();
      for (const track of all)
        genresOf.set(track.album!.id, (genresOf.get(track.album!.id) ?? new Set()).add(track.genre!.id));
      const [album, genres] = [...genresOf].find(([, set]) => set.size >= 2)!;
      const [g1, g2] = [...genres] as [number, number];
      const request = (genre: number) =>
        RequestContext.create(chinook.orm.em, async () => {
          const em = RequestContext.getEntityManager()!;
          em.addFilter({
            name: 'tenant',
            cond: (args: Record<string, number>) => ({ genre: args.genre }),
            entity: [Track],
          });
          em.setFilterParams('tenant', { genre });
          const first = await loaders(chinook.orm.em).collection(Album, 'tracks').load(album);
          await new Promise((resolve) => setTimeout(resolve, 5)); // the other request runs in between
          const again = await loaders(chinook.orm.em).collection(Album, 'tracks').load(album);
          return { cached: first === again, ids: first.map((t) => t.id) };
        });
      const [one, two] = await Promise.all([request(g1), request(g2)]);
      const idsOf = (genre: number) =>
        all.filter((t) => t.album!.id === album && t.genre!.id === genre).map((t) => t.id);
      expect(one).toEqual({ cached: true, ids: idsOf(g1) });
      expect(two).toEqual({ cached: true, ids: idsOf(g2) });
      expect(one.ids.length).toBeGreaterThan(0);
      expect(two.ids.length).toBeGreaterThan(0);
    });

    it('refuses the global EntityManager outside a request context', () => {
      expect(() => loaders(chinook.orm.em)).toThrow(LoaderScopeError);
    });
  });

  describe('writes', () => {
    it('reloads after flush, nativeUpdate and nativeDelete in the same request', async () => {
      const em = chinook.em();
      const genre = await em.findOneOrFail(Genre, 1);
      const [before] = await loaders(em).count(Genre, 'tracks').loadMany([1]);
      const track = em.create(Track, {
        id: 900_001,
        name: 'New',
        genre,
        mediaType: 1,
        milliseconds: 1,
        unitPrice: 1,
      } as never);
      await em.flush();
      expect(await loaders(em).count(Genre, 'tracks').load(1)).toBe((before as number) + 1);
      await em.nativeUpdate(Track, { id: track.id }, { name: 'Renamed' });
      expect((await loaders(em).entity(Track).load(900_001))?.name).toBe('Renamed');
      await em.nativeDelete(Track, { id: track.id });
      expect(await loaders(em).entity(Track).load(900_001)).toBeNull();
      expect(await loaders(em).count(Genre, 'tracks').load(1)).toBe(before);
    });

    it('reloads after a Stratum bulk operation and after an M:N collection change', async () => {
      const em = chinook.em();
      expect((await loaders(em).entity(Track).load(5))?.name).not.toBe('Bulk renamed');
      await em.getRepository(Track).updateMany([5], { name: 'Bulk renamed' });
      expect((await loaders(em).entity(Track).load(5))?.name).toBe('Bulk renamed');

      const playlist = await em.findOneOrFail(Playlist, 2);
      expect(await loaders(em).collection(Playlist, 'tracks').load(2)).toEqual([]);
      playlist.tracks.add(em.getReference(Track, 5));
      await em.flush();
      expect((await loaders(em).collection(Playlist, 'tracks').load(2)).map((track) => track.id)).toEqual([5]);
      expect(await loaders(em).count(Playlist, 'tracks').load(2)).toBe(1);
    });

    it('keeps its cache when nothing was written', async () => {
      const em = chinook.em();
      await loaders(em).entity(Album).load(7);
      chinook.resetQueries();
      await em.find(Artist, { id: 1 });
      await loaders(em).entity(Album).load(7);
      expect(chinook.statements()).toHaveLength(1); // the find only
    });
  });

  describe('bad input', () => {
    it('names an unknown relation and a relation that is not a collection', () => {
      const em = chinook.em();
      expect(() => loaders(em).collection(Album, 'songs' as never)).toThrow(UnknownFieldError);
      expect(() => loaders(em).count(Track, 'album' as never)).toThrow(InvalidArgumentError);
      expect(() => loaders(chinook.em(), { maxBatchSize: 0 })).toThrow(InvalidArgumentError);
    });
  });
});
