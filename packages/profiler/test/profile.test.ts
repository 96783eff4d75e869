import { wrap } from '@mikro-orm/core';
import { InvalidArgumentError } from '@stratum/core';
import { runInBatch } from '@stratum/core/internal';
import { beforeAll, describe, expect, it } from 'vitest';
import { Album, InvoiceLine, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import {
  configureNPlusOne,
  detectNPlusOne,
  instrument,
  isInstrumented,
  NPlusOneError,
  type NPlusOneFinding,
  profile,
  uninstrument,
} from '../src/index.js';

describeEachDriver('profile()', (ctx) => {
  const chinook = useChinook(ctx);
  beforeAll(() => instrument(chinook.orm));

  describe('capture', () => {
    it('captures each query with its SQL, values, high-resolution duration, rows, connection and call site', async () => {
      const em = chinook.em();
      const report = await profile(() => em.find(Track, { album: 1 }));
      expect(report.result).toHaveLength(10);
      expect(report.count).toBe(1);
      const [query] = report.queries;
      expect(query!.sql).toMatch(/^select .* from [`"]track[`"]/);
      expect(query!.params).toEqual([1]);
      expect(query!.kind).toBe('select');
      expect(query!.rows).toBe(10);
      expect(query!.durationMs).toBeGreaterThan(0);
      expect(query!.durationMs).toBeLessThan(5000);
      expect(query!.connection).toEqual({ type: 'write', name: expect.any(String) });
      expect(query!.inTransaction).toBe(false);
      expect(query!.dialect).toBe(ctx.driver);
      expect(query!.stack?.callSite).toMatch(/profile\.test\.ts:\d+:\d+/);
    });

    it('stops capturing after uninstrument, leaves MikroORM working, and captures again once re-instrumented', async () => {
      const em = chinook.em();
      const onQuery = chinook.orm.config.get('onQuery');
      uninstrument(chinook.orm);
      try {
        expect(isInstrumented(chinook.orm)).toBe(false);
        expect(chinook.orm.config.get('onQuery')).not.toBe(onQuery);
        const report = await profile(() => em.find(Track, { album: 1 }));
        expect(report.result).toHaveLength(10);
        expect(report.count).toBe(0);
        uninstrument(chinook.orm); // a second call is a no-op
      } finally {
        instrument(chinook.orm);
      }
      expect(isInstrumented(chinook.orm)).toBe(true);
      expect((await profile(() => em.find(Track, { album: 2 }))).count).toBe(1);
    });

    it('times sub-millisecond queries with fractions of a millisecond, not whole milliseconds', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        for (let i = 1; i <= 20; i++) await em.findOne(Track, i);
      });
      expect(report.count).toBe(20);
      expect(report.queries.some((query) => !Number.isInteger(query.durationMs))).toBe(true);
    });

    it('names the Stratum repository and method each query ran in', async () => {
      const report = await profile(() => chinook.em().getRepository(Track).findPage({ perPage: 3 }));
      expect(report.count).toBe(2);
      for (const query of report.queries) {
        expect(query.operation).toMatchObject({ repository: 'TrackRepository', entity: 'Track', method: 'findPage' });
      }
    });

    it('sees bulk statements, marks what ran in a transaction and keeps BEGIN/COMMIT out of the count', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      const report = await profile(() => lines.insertMany([{ invoice: 1, track: 1, unitPrice: 1, quantity: 1 }]));
      expect(report.count).toBe(1);
      expect(report.statements.map((statement) => statement.kind)).toEqual(['transaction', 'insert', 'transaction']);
      expect(report.queries[0]).toMatchObject({ kind: 'insert', inTransaction: true, rows: 1 });
      expect(report.queries[0]!.durationMs).toBeGreaterThan(0);
      await lines.deleteMany(report.result);
    });

    it('nests scopes: the outer one sees the inner one’s queries too', async () => {
      const em = chinook.em();
      let inner: Awaited<ReturnType<typeof profile>> | undefined;
      const outer = await profile(async () => {
        await em.findOne(Track, 1);
        inner = await profile(() => em.findOne(Track, 2));
        await em.findOne(Track, 3);
      });
      expect(inner!.count).toBe(1);
      expect(outer.count).toBe(3);
    });

    it('times every query from its own start, even after a query that never reached the database', async () => {
      // MikroORM calls onQuery, then formats the query: when formatting throws, the logger never hears
      // of it, and its start must not be taken for a later query's.
      const lost: unknown[] = [7];
      await profile(async () => chinook.orm.config.get('onQuery')('select ? as lost', lost));
      const em = chinook.em();
      const began = performance.now();
      const report = await profile(async () => {
        await em.findOne(Track, 1);
        await Promise.all([em.findOne(Track, 2), em.findOne(Track, 3), em.find(Album, { id: 4 })]);
        await em.findOne(Track, 5);
      });
      const ended = performance.now();
      expect(report.count).toBe(5);
      for (const query of report.queries) {
        expect(query.startedAt).toBeGreaterThanOrEqual(began);
        expect(query.startedAt + query.durationMs).toBeLessThanOrEqual(ended);
        expect(query.durationMs).toBeGreaterThan(0);
      }
    });

    it('keeps concurrent scopes apart', async () => {
      const [a, b] = await Promise.all([
        profile(async () => {
          await chinook.em().findOne(Track, 1);
          await chinook.em().findOne(Track, 2);
        }),
        profile(() => chinook.em().findOne(Track, 3)),
      ]);
      expect([a.count, b.count]).toEqual([2, 1]);
    });

    it('redacts values when asked', async () => {
      instrument(chinook.orm, { redactParams: true });
      try {
        const report = await profile(() => chinook.em().find(Track, { name: 'secret name' }));
        expect(report.queries[0]!.params).toEqual(['[redacted]']);
      } finally {
        instrument(chinook.orm, { redactParams: false });
      }
    });

    it('propagates the error of the profiled function unchanged', async () => {
      const failure = new Error('boom');
      await expect(profile(() => Promise.reject(failure))).rejects.toBe(failure);
    });
  });

  describe('fingerprints and statistics', () => {
    it('groups queries that differ only in values and IN-list length', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        await em.find(Track, { id: { $in: [1, 2] } });
        await em.find(Track, { id: { $in: [3, 4, 5] } });
        await em.find(Track, { name: 'x' });
      });
      const groups = report.byFingerprint();
      expect(groups.map((group) => group.count).sort()).toEqual([1, 2]);
      const inList = groups.find((group) => group.count === 2)!;
      expect(inList.rows).toBe(5);
      expect(inList.tables).toEqual(['track']);
      expect(inList.p50Ms).toBeGreaterThan(0);
      expect(inList.p99Ms).toBeGreaterThanOrEqual(inList.p50Ms);
      expect(inList.meanMs).toBeCloseTo(inList.totalMs / 2, 10);
      expect(report.format()).toContain('3 queries');
    });
  });

  describe('N+1 detection', () => {
    it('finds a collection loaded per parent and names the relation', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        const albums = await em.find(Album, {}, { limit: 5, orderBy: { id: 'asc' } });
        for (const album of albums) {
          await album.tracks.init();
        }
      });
      const [finding, ...others] = report.nPlusOne();
      expect(others).toEqual([]);
      expect(finding).toMatchObject({ count: 5, relation: 'Album.tracks' });
      expect(finding!.suggestion).toContain("populate: ['tracks']");
      expect(finding!.suggestion).toContain("Stratum's loader loaders(em).collection(Album, 'tracks').load(album)");
      expect(finding!.callSite).toMatch(/profile\.test\.ts/);
      expect(finding!.message).toMatch(
        /^5 × "select .* from track .*" from .*profile\.test\.ts.* loads Album\.tracks one row at a time/,
      );
    });

    it('finds a reference resolved per child', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        const tracks = await em.find(Track, { id: { $in: [1, 20, 40, 60] } });
        for (const track of tracks) {
          await wrap(track.album!).init();
        }
      });
      const [finding] = report.nPlusOne();
      expect(finding).toMatchObject({ relation: 'Track.album' });
      expect(finding!.suggestion).toContain('loaders(em).entity(Album).load(track.album.id)');
      expect(finding!.count).toBeGreaterThanOrEqual(3);
    });

    it('never reports the queries of a Stratum batch, and marks them with it', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        for (const ids of [[1], [2, 3], [4]]) {
          await runInBatch({ loader: 'collection:Album.tracks', keys: ids.length }, () =>
            em.find(Track, { album: ids }),
          );
        }
      });
      expect(report.count).toBe(3);
      expect(report.queries.map((query) => query.batch)).toEqual([
        { loader: 'collection:Album.tracks', keys: 1 },
        { loader: 'collection:Album.tracks', keys: 2 },
        { loader: 'collection:Album.tracks', keys: 1 },
      ]);
      expect(report.nPlusOne()).toEqual([]);
      const unbatched = await profile(async () => {
        for (const ids of [[1], [2, 3], [4]]) await em.find(Track, { album: ids });
      });
      expect(unbatched.nPlusOne()).toHaveLength(1); // the same loop, not a batch: reported
    });

    it('reports nothing when the relation is populated', async () => {
      const em = chinook.em();
      const report = await profile(() => em.find(Album, {}, { limit: 5, populate: ['tracks'] }));
      expect(report.nPlusOne()).toEqual([]);
    });

    it('reports nothing for the same query sent from different places', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        await em.fork().findOne(Track, 1);
        await em.fork().findOne(Track, 2);
      });
      expect(report.nPlusOne()).toEqual([]);
    });

    it('honours the threshold and the allow-list by fingerprint or call site', async () => {
      const em = chinook.em();
      const report = await profile(async () => {
        const albums = await em.find(Album, {}, { limit: 3 });
        for (const album of albums) await album.tracks.init();
      });
      const [finding] = report.nPlusOne();
      expect(finding!.count).toBe(3);
      expect(report.nPlusOne({ threshold: 4 })).toEqual([]);
      expect(report.nPlusOne({ allow: [finding!.fingerprint] })).toEqual([]);
      expect(report.nPlusOne({ allow: [/profile\.test\.ts/] })).toEqual([]);
      expect(detectNPlusOne(report.queries, { allow: ['no-such-file.ts'] })).toHaveLength(1);
    });
  });

  describe('N+1 modes', () => {
    const lazyLoad = async () => {
      const albums = await chinook.em().find(Album, {}, { limit: 3, orderBy: { id: 'asc' } });
      for (const album of albums) await album.tracks.init();
    };

    it("'off' (the default) only reports in the report", async () => {
      const report = await profile(lazyLoad);
      expect(report.nPlusOne()).toHaveLength(1);
    });

    it("'warn' hands each finding to the warner and still returns the report", async () => {
      const warned: NPlusOneFinding[] = [];
      const report = await profile(lazyLoad, { nPlusOne: { mode: 'warn', warn: (finding) => warned.push(finding) } });
      expect(report.count).toBe(4);
      expect(warned.map((finding) => finding.relation)).toEqual(['Album.tracks']);
    });

    it("'throw' fails the scope with NPlusOneError naming the relation; populate passes", async () => {
      const error = await profile(lazyLoad, { nPlusOne: { mode: 'throw' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NPlusOneError);
      expect((error as NPlusOneError).code).toBe('E_N_PLUS_ONE');
      expect((error as NPlusOneError).message).toMatch(
        /^1 N\+1 query:\n {2}- 3 × "select .*" .* loads Album\.tracks one row at a time/,
      );
      const report = await profile(() => chinook.em().find(Album, {}, { limit: 3, populate: ['tracks'] }), {
        nPlusOne: { mode: 'throw' },
      });
      expect(report.count).toBe(2);
    });

    it('takes its default from configureNPlusOne, with allow-lists', async () => {
      const previous = configureNPlusOne({ mode: 'throw' });
      try {
        await expect(profile(lazyLoad)).rejects.toBeInstanceOf(NPlusOneError);
        configureNPlusOne({ mode: 'throw', allow: [/profile\.test\.ts/] });
        await expect(profile(lazyLoad)).resolves.toMatchObject({ count: 4 });
      } finally {
        configureNPlusOne(previous);
      }
      expect(() => configureNPlusOne({ mode: 'loud' as never })).toThrow(InvalidArgumentError);
    });
  });
});
