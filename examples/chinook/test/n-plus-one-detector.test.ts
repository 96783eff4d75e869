import { wrap } from '@mikro-orm/core';
import { loaders } from '@stratum/dataloader';
import { instrument, type NPlusOneFinding, profile } from '@stratum/profiler';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { Album, Artist, Employee, Playlist, Track } from '../src/entities/index.js';

/** What a test reads of a finding: what it is, what it names, how often, from where. */
function summary(finding: NPlusOneFinding | undefined) {
  return finding && { kind: finding.kind, relation: finding.relation, entity: finding.entity, count: finding.count };
}

/**
 * The N+1 detector over Stratum's own loaders and reads and over the lazy-loading loops users write,
 * on the Chinook data: each N+1 is found and named, and no batched read is ever reported.
 */
describeEachDriver('the N+1 detector over Chinook', (ctx) => {
  const chinook = useChinook(ctx);
  beforeAll(() => instrument(chinook.orm));

  describe('Stratum loaders awaited one key at a time', () => {
    it('reports a loader awaited inside a loop (one batch of one key per iteration) at the line that calls load()', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        for (const id of [1, 2, 3, 4, 5]) {
          await loaders(em).entity(Track).load(id);
        }
      });
      expect(report.count).toBe(5);
      const [finding, ...others] = report.nPlusOne();
      expect(others).toEqual([]);
      expect(summary(finding)).toEqual({ kind: 'one-key-batches', relation: undefined, entity: 'Track', count: 5 });
      expect(finding!.loader).toBe('entity:Track');
      expect(finding!.callSite).toMatch(/n-plus-one-detector\.test\.ts:\d+:\d+/);
      expect(finding!.stack.some((frame) => frame.includes('packages/dataloader'))).toBe(false);
      expect(finding!.suggestion).toContain('Promise.all(keys.map((key) => loader.load(key)))');
      expect(finding!.suggestion).toContain('loadMany(keys)');
      expect(finding!.message).toMatch(
        /^5 batches of one key each from loaders\(em\)\.entity\(Track\), asked for at .*n-plus-one-detector\.test\.ts/,
      );
    });

    it('names the relation of a collection or count loader awaited per parent', async () => {
      const em = chinook.em();
      const albums = await em.find(Album, {}, { limit: 4, orderBy: { id: 'asc' } });
      const report = await profile(async () => {
        for (const album of albums) {
          await loaders(em).collection(Album, 'tracks').load(album);
          await loaders(em).count(Album, 'tracks').load(album);
        }
      });
      expect(report.nPlusOne().map(summary)).toEqual([
        { kind: 'one-key-batches', relation: 'Album.tracks', entity: undefined, count: 4 },
        { kind: 'one-key-batches', relation: 'Album.tracks', entity: undefined, count: 4 },
      ]);
      expect(report.nPlusOne().map((finding) => finding.loader)).toEqual([
        'collection:Album.tracks',
        'count:Album.tracks',
      ]);
    });

    it('reports a @Batched method awaited inside a loop', async () => {
      const tracks = chinook.em().getRepository(Track);
      const report = await profile(async () => {
        for (const composer of ['AC/DC', 'U2', 'Queen']) await tracks.findByComposer(composer);
      });
      const [finding] = report.nPlusOne();
      expect(summary(finding)).toMatchObject({ kind: 'one-key-batches', count: 3 });
      expect(finding!.loader).toBe('TrackRepository.findManyByComposer');
      expect(finding!.callSite).toMatch(/n-plus-one-detector\.test\.ts/);
    });

    it('reports nothing for the same keys loaded together: Promise.all, loadMany, one load', async () => {
      const ids = [1, 2, 3, 4, 5];
      const together = await profile(async () => {
        const em = chinook.em();
        await Promise.all(ids.map((id) => loaders(em).entity(Track).load(id)));
        await loaders(chinook.em()).entity(Track).loadMany(ids);
        await loaders(chinook.em()).entity(Album).load(1);
      });
      expect(together.count).toBe(3);
      expect(together.queries.map((query) => query.batch?.keys)).toEqual([5, 5, 1]);
      expect(together.nPlusOne()).toEqual([]);
    });

    it('reports nothing for keys served from the loader cache, nor for one-key loads from different places', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        await loaders(em).entity(Track).load(1);
        await loaders(em).entity(Track).load(2);
        for (let i = 0; i < 3; i++) await loaders(em).entity(Track).load(1); // cached: no batch
      });
      expect(report.count).toBe(2);
      expect(report.nPlusOne()).toEqual([]);
    });

    it("reports nothing for a tree's levels, one batch per level, even of one key each from one line", async () => {
      // Up the chain of command from the employee 8 (8 → 6 → 1): each level needs the one before,
      // so one batch per level is the best there is.
      const em = chinook.em();
      const eight = (await em.findOneOrFail(Employee, 8)) as Employee;
      async function managersOf(employee: Employee): Promise<Employee[]> {
        const manager = employee.reportsTo ? await loaders(em).entity(Employee).load(employee.reportsTo.id) : null;
        return manager ? [manager, ...(await managersOf(manager))] : [];
      }
      const report = await profile(() => managersOf(eight));
      expect(report.result.map((manager) => manager.id)).toEqual([6, 1]);
      expect(report.queries.map((query) => query.batch?.keys)).toEqual([1, 1]);
      expect(report.queries.every((query) => query.batch?.callers?.length === 1)).toBe(true); // traced
      expect(report.nPlusOne()).toEqual([]);
      // The same tree walked level by level with the loader: one batch per level, as many keys as the level holds.
      const levels = await profile(async () => {
        const fork = chinook.em();
        let level = [await loaders(fork).entity(Employee).load(1)] as Employee[];
        while (level.length > 0) {
          level = (await Promise.all(level.map((e) => loaders(fork).collection(Employee, 'reports').load(e)))).flat();
        }
      });
      expect(levels.queries.map((query) => query.batch?.keys)).toEqual([1, 1, 2, 5]);
      expect(levels.nPlusOne()).toEqual([]);
    });
  });

  describe("Stratum's own batched reads", () => {
    it("never reports BaseRepository.stream()'s keyset batches", async () => {
      const tracks = chinook.em().getRepository(Track);
      const report = await profile(async () => {
        let seen = 0;
        for await (const _track of tracks.stream({}, { batchSize: 500 })) seen++;
        return seen;
      });
      expect(report.result).toBe(3503);
      expect(report.count).toBe(8);
      expect(report.nPlusOne()).toEqual([]);
      // The first page is the caller's query; the next seven are the stream's own batches.
      expect(report.queries.map((query) => query.batch?.loader)).toEqual([
        undefined,
        ...Array(7).fill('TrackRepository.stream'),
      ]);
    });

    it('still reports streams opened one per parent in a loop (their first queries are the caller’s)', async () => {
      const em = chinook.em();
      const albums = await em.find(Album, {}, { limit: 3, orderBy: { id: 'asc' } });
      const report = await profile(async () => {
        for (const album of albums) {
          for await (const _track of em.getRepository(Track).stream({ album }, { batchSize: 100 })) {
            // consume
          }
        }
      });
      expect(report.nPlusOne().map(summary)).toEqual([
        { kind: 'relation', relation: 'Album.tracks', entity: 'Track', count: 3 },
      ]);
    });

    it('never reports the chunks of one findByIds', async () => {
      const tracks = chinook.em().getRepository(Track);
      const ids = Array.from({ length: 2500 }, (_, i) => i + 1);
      const report = await profile(() => tracks.findByIds(ids));
      expect(report.result.filter(Boolean)).toHaveLength(2500);
      expect(report.count).toBe(3);
      expect(report.nPlusOne()).toEqual([]);
    });
  });

  describe('lookups by primary key', () => {
    it('says a loop of em.findOne(Track, id) looks rows up one at a time, with findByIds and the entity loader', async () => {
      const report = await profile(async () => {
        const em = chinook.em();
        for (const id of [1, 2, 3, 4]) await em.findOne(Track, id);
      });
      const [finding, ...others] = report.nPlusOne();
      expect(others).toEqual([]);
      expect(summary(finding)).toEqual({ kind: 'primary-key', relation: undefined, entity: 'Track', count: 4 });
      expect(finding!.message).toContain('looks up Track rows one at a time by primary key (no relation led to them)');
      expect(finding!.message).not.toMatch(/InvoiceLine|PlaylistTrack/);
      expect(finding!.suggestion).toContain('em.getRepository(Track).findByIds(ids)');
      expect(finding!.suggestion).toContain('loaders(em).entity(Track).load(id)');
    });

    it('names the relation when the lookups resolve references: wrap(ref).init(), em.findOne(Album, track.album.id)', async () => {
      const em = chinook.em();
      const tracks = await em.find(Track, { id: { $in: [1, 20, 40, 60] } }, { orderBy: { id: 'asc' } });
      const byInit = await profile(async () => {
        for (const track of tracks) await wrap(track.album!).init();
      });
      const byFindOne = await profile(async () => {
        const fork = chinook.em();
        for (const track of await fork.find(Track, { id: { $in: [2, 21, 41, 61] } })) {
          await fork.findOne(Album, track.album!.id);
        }
      });
      for (const report of [byInit, byFindOne]) {
        const [finding] = report.nPlusOne();
        expect(summary(finding)).toMatchObject({ kind: 'relation', relation: 'Track.album', entity: 'Album' });
        expect(finding!.suggestion).toContain('loaders(em).entity(Album).load(track.album.id)');
      }
    });

    it('reports a findOne with populate per row as a lookup by primary key', async () => {
      const report = await profile(async () => {
        const em = chinook.em();
        for (const id of [1, 2, 3]) await em.findOne(Album, id, { populate: ['tracks'] });
      });
      const lookups = report.nPlusOne().filter((finding) => finding.kind === 'primary-key');
      expect(lookups.map(summary)).toEqual([{ kind: 'primary-key', relation: undefined, entity: 'Album', count: 3 }]);
      // A populate MikroORM sends as a second query per row is that row's relation, loaded one row at a time.
      for (const finding of report.nPlusOne().filter((f) => f.kind !== 'primary-key')) {
        expect(summary(finding)).toEqual({ kind: 'relation', relation: 'Album.tracks', entity: 'Track', count: 3 });
      }
    });
  });

  describe('lazy loading per row', () => {
    it('finds collections initialised concurrently: Promise.all of inits', async () => {
      const em = chinook.em();
      const albums = await em.find(Album, {}, { limit: 5, orderBy: { id: 'asc' } });
      const report = await profile(() => Promise.all(albums.map((album) => album.tracks.init())));
      expect(report.nPlusOne().map(summary)).toEqual([
        { kind: 'relation', relation: 'Album.tracks', entity: 'Track', count: 5 },
      ]);
    });

    it('finds a getter that initialises a relation, at the getter', async () => {
      class TrackView {
        constructor(readonly track: Track) {}
        get albumTitle(): Promise<string | undefined> {
          return wrap(this.track.album!)
            .init()
            .then((album) => album?.title);
        }
      }
      const em = chinook.em();
      const views = (await em.find(Track, { id: { $in: [1, 20, 40] } })).map((track) => new TrackView(track));
      const report = await profile(async () => {
        const titles: (string | undefined)[] = [];
        for (const view of views) titles.push(await view.albumTitle);
        return titles;
      });
      expect(report.result).toHaveLength(3);
      const [finding] = report.nPlusOne();
      expect(summary(finding)).toMatchObject({ kind: 'relation', relation: 'Track.album', count: 3 });
      // The getter returns MikroORM's promise: by the time the query goes, only its awaiter is on the stack.
      expect(finding!.callSite).toMatch(/n-plus-one-detector\.test\.ts/);
    });

    it('finds a many-to-many collection initialised per row', async () => {
      const em = chinook.em();
      const playlists = await em.find(Playlist, { id: { $in: [3, 4, 5] } });
      const report = await profile(async () => {
        for (const playlist of playlists) await playlist.tracks.init();
      });
      expect(report.nPlusOne().map(summary)).toEqual([
        { kind: 'relation', relation: 'Playlist.tracks', entity: 'PlaylistTrack', count: 3 },
      ]);
    });

    it('finds both levels of a loop two levels deep: artists → albums → tracks', async () => {
      const em = chinook.em();
      const artists = await em.find(Artist, { id: { $in: [1, 2, 3] } });
      const report = await profile(async () => {
        for (const artist of artists) {
          for (const album of await artist.albums.loadItems()) await album.tracks.init();
        }
      });
      expect(
        report
          .nPlusOne()
          .map((finding) => finding.relation)
          .sort(),
      ).toEqual(['Album.tracks', 'Artist.albums']);
      expect(report.nPlusOne().every((finding) => finding.kind === 'relation')).toBe(true);
    });

    it('finds counts per row and suggests the count loader', async () => {
      const em = chinook.em();
      const albums = await em.find(Album, {}, { limit: 4, orderBy: { id: 'asc' } });
      const report = await profile(async () => {
        for (const album of albums) await album.tracks.loadCount();
      });
      const [finding] = report.nPlusOne();
      expect(summary(finding)).toEqual({ kind: 'relation', relation: 'Album.tracks', entity: 'Track', count: 4 });
      expect(finding!.message).toContain('counts Album.tracks one row at a time');
      expect(finding!.suggestion).toContain("loaders(em).count(Album, 'tracks').load(album)");
    });
  });
});
