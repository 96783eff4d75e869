import { RequestContext, wrap } from '@mikro-orm/core';
import { InvalidArgumentError, UnknownFieldError } from '@stratum/core';
import { describe, expect, it } from 'vitest';
import { Album, Artist, Genre, InvoiceLine, Playlist, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { LoaderScopeError, loaders } from '../src/index.js';

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
