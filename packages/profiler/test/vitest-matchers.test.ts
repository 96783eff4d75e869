import '@stratum/profiler/vitest';
import { expectConstantQueries } from '@stratum/profiler/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { Album, Artist, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { instrument } from '../src/index.js';

describeEachDriver('vitest matchers', (ctx) => {
  const chinook = useChinook(ctx);
  beforeAll(() => instrument(chinook.orm));

  describe('toIssueQueries', () => {
    it('passes when the function sends exactly that many queries', async () => {
      const tracks = chinook.em().getRepository(Track);
      await expect(() => tracks.findPage({ perPage: 5 })).toIssueQueries(2);
      await expect(() => tracks.findPage({ perPage: 5 })).not.toIssueQueries(3);
    });

    it('fails with every query, grouped by shape, and where it came from', async () => {
      const em = chinook.em();
      const failure = await expect(() => em.find(Track, { album: 1 }))
        .toIssueQueries(3)
        .catch((error: Error) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(failure!.message).toMatch(/^expected the function to issue 3 queries, but it issued 1:\n/);
      expect(failure!.message).toMatch(/ {2}1 × select .* from track .* where .*album_id = \?/);
      expect(failure!.message).toMatch(/\n {6}at .*vitest-matchers\.test\.ts:\d+:\d+/);
    });

    it('refuses something that is not a function', async () => {
      await expect(expect(42).toIssueQueries(1)).rejects.toThrow(
        /toIssueQueries expects a function .* but got: number/,
      );
    });
  });

  describe('toIssueQueriesMatching', () => {
    it('counts only the matching queries, and says which matched when it fails', async () => {
      const tracks = chinook.em().getRepository(Track);
      await expect(() => tracks.findPage({ perPage: 5 })).toIssueQueriesMatching(/count\(/i, 1);
      const failure = await expect(() => tracks.findPage({ perPage: 5 }))
        .toIssueQueriesMatching(/insert/i, 1)
        .catch((error: Error) => error);
      expect(failure!.message).toMatch(
        /^expected the function to issue 1 query matching \/insert\/i, but 0 of its 2 matched/,
      );
    });
  });

  describe('toHaveNoNPlusOne', () => {
    it('passes with populate, fails on lazy loading with the relation and the fix', async () => {
      const em = chinook.em();
      await expect(() => em.find(Album, {}, { limit: 4, populate: ['tracks'] })).toHaveNoNPlusOne();
      const failure = await expect(async () => {
        const albums = await chinook.em().find(Album, {}, { limit: 4 });
        for (const album of albums) await album.tracks.init();
      })
        .toHaveNoNPlusOne()
        .catch((error: Error) => error);
      expect(failure!.message).toMatch(
        /^expected no N\+1 queries, but found 1:\n {2}- 4 × "select .*" from .* loads Album\.tracks one row at a time; .*populate: \['tracks'\]/,
      );
      expect(failure!.message).toMatch(/\n {6}at .*vitest-matchers\.test\.ts/);
    });
  });

  describe('expectConstantQueries', () => {
    const TITLE = 'scale-test-';
    const reset = async () => {
      const em = chinook.em();
      await em.nativeDelete(Track, { album: { title: { $like: `${TITLE}%` } } });
      await em.nativeDelete(Album, { title: { $like: `${TITLE}%` } });
    };
    const seed = async (factor: number) => {
      const em = chinook.em();
      const artist = em.getReference(Artist, 1);
      for (let i = 0; i < factor * 2; i++) {
        const album = em.create(Album, { title: `${TITLE}${i}`, artist });
        for (let t = 0; t < 2; t++) {
          em.create(Track, { name: `t${t}`, album, mediaType: 1, milliseconds: 1000, unitPrice: 0.99 });
        }
      }
      await em.flush();
    };
    const albums = (em = chinook.em()) => em.find(Album, { title: { $like: `${TITLE}%` } }, { orderBy: { id: 'asc' } });

    it('passes when the query count does not grow with the data', async () => {
      await expectConstantQueries({
        reset,
        seed,
        run: () => chinook.em().find(Album, { title: { $like: `${TITLE}%` } }, { populate: ['tracks'] }),
      });
      await reset();
    });

    it('fails when it does, listing the queries at each scale', async () => {
      const failure = await expectConstantQueries({
        reset,
        seed,
        scaleFactors: [1, 3],
        run: async () => {
          const em = chinook.em();
          for (const album of await albums(em)) await album.tracks.init();
        },
      }).catch((error: Error) => error);
      await reset();
      expect(failure).toBeInstanceOf(Error);
      expect(failure!.message).toMatch(
        /^expected the number of queries not to grow with the data, but it went 3 → 7 for scale factors 1, 3:\n/,
      );
      expect(failure!.message).toContain('scale 3: 7 queries');
      expect(failure!.message).toMatch(/6 × select .* from track/);
    });

    it('needs two scale factors to compare', async () => {
      await expect(expectConstantQueries({ reset, seed, run: () => albums(), scaleFactors: [2] })).rejects.toThrow(
        /at least two scaleFactors/,
      );
    });
  });
});
