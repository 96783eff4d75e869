import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachDriver, removeSqliteFile } from '../../../test/harness/index.js';
import { docPages } from '../../../test/support/doc-pages.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { Album, Invoice, InvoiceLine, Track } from '../src/entities/index.js';
import { CHINOOK_COUNTS } from '../src/seeder.js';
import { aggregates } from '../src/snippets/aggregates.js';
import { bulk } from '../src/snippets/bulk.js';
import { caching } from '../src/snippets/caching.js';
import { loadersSnippet } from '../src/snippets/loaders.js';
import { pagination } from '../src/snippets/pagination.js';
import { profiling } from '../src/snippets/profiling.js';
import { quickstart } from '../src/snippets/quickstart.js';
import { sqliteTuningSnippet } from '../src/snippets/sqlite-tuning.js';
import { streaming } from '../src/snippets/streaming.js';
import { transaction } from '../src/snippets/transaction.js';

const SNIPPETS = new URL('../src/snippets/', import.meta.url);
const ROOT = new URL('../../../', import.meta.url);

/** The `// #region doc` part of a snippet file, de-indented by the function body's two spaces. */
function region(file: string): string {
  const source = readFileSync(new URL(file, SNIPPETS), 'utf8');
  const body = source.split('// #region doc\n')[1]?.split('  // #endregion doc')[0];
  if (body === undefined) throw new Error(`${file} has no // #region doc ... // #endregion doc`);
  return body
    .trimEnd()
    .split('\n')
    .map((line) => (line.startsWith('  ') ? line.slice(2) : line))
    .join('\n');
}

describe('docs snippets', () => {
  const pages = docPages(); // docs/, the README and each package's README
  const docs = pages.map((f) => readFileSync(new URL(f, ROOT), 'utf8')).join('\n');

  for (const file of readdirSync(SNIPPETS).filter((f) => f.endsWith('.ts'))) {
    it(`docs show examples/chinook/src/snippets/${file} verbatim`, () => {
      const marker = `<!-- snippet: examples/chinook/src/snippets/${file} -->\n\`\`\`ts\n`;
      expect(docs).toContain(marker);
      const shown = docs.split(marker)[1]!.split('\n```')[0];
      expect(shown).toBe(region(file));
    });
  }
});

describe('sqlite tuning (packages/sqlite/README.md)', () => {
  it('applies the default preset on a file, reads it back, and leaves an empty WAL after close', async () => {
    const file = join(tmpdir(), `stratum-snippet-${process.pid}.sqlite`);
    try {
      const { applied, differences, walBytes } = await sqliteTuningSnippet(file);
      expect(applied).toMatch(/^busy_timeout=5000 journal_mode=wal synchronous=normal foreign_keys=true /);
      expect(differences).toEqual([]);
      expect(walBytes).toBeGreaterThanOrEqual(0);
      expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    } finally {
      await removeSqliteFile(file);
    }
  });
});

describe('quickstart (packages/core/README.md)', () => {
  it('inserts, pages, cursors, streams and aggregates on in-memory SQLite', async () => {
    const { ids, page, slice, streamed, stats } = await quickstart();
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(page).toMatchObject({ total: 500, pages: 50, hasNext: true });
    expect(page.items[0]!.seconds).toBe(209);
    expect(slice.items.map((s) => s.title).slice(0, 3)).toEqual(['Song 0', 'Song 1', 'Song 10']);
    expect(streamed).toBe(500 - Array.from({ length: 500 }, (_, i) => 120 + (i % 90)).filter((s) => s < 200).length);
    expect(stats).toEqual({ songs: 500, longest: 209 });
  });
});

describeEachDriver('docs snippets run', (ctx) => {
  const chinook = useChinook(ctx);

  it('pagination: pages, cursors and ordered lookups as the page says', async () => {
    const { page, first, back, next, t42, missing, t7 } = await pagination(chinook.em());
    expect(page).toMatchObject({ total: 1297, pages: 130, page: 2, hasPrev: true, hasNext: true });
    expect(back.items.map((t) => t.id)).toEqual(first.items.map((t) => t.id));
    expect(next.hasPrevPage).toBe(true);
    expect([t42?.id, missing, t7?.id]).toEqual([42, null, 7]);
  });

  it('bulk: insert, upsert, update and delete report what they did', async () => {
    const names = (await chinook.em().getRepository(Track).findByIds([1, 2])).map((t) => t!.name);
    const result = await bulk(chinook.em());
    expect(result.ids).toHaveLength(10_000);
    expect(result.upserted).toMatchObject({ id: result.ids[0], unitPrice: 1.99, quantity: 3 });
    expect([result.repriced, result.renamed, result.deleted]).toEqual([100, 2, 10_000]);
    expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(CHINOOK_COUNTS.invoiceLines);
    expect((await chinook.em().getRepository(Track).findByIds([1, 2])).map((t) => t!.name)).toEqual(names);
  });

  it('transaction: a failed unit of work leaves nothing behind', async () => {
    expect(await transaction(chinook.em())).toEqual({ failed: 'payment declined' });
    expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(CHINOOK_COUNTS.invoiceLines);
    expect(await chinook.em().count(Invoice)).toBe(CHINOOK_COUNTS.invoices);
  });

  it('streaming: visits every line once', async () => {
    const { lines, revenue } = await streaming(chinook.em());
    expect(lines).toBe(CHINOOK_COUNTS.invoiceLines);
    expect(revenue).toBeCloseTo(2328.6, 2);
  });

  it('profiling: the report, its N+1, the metrics snapshot and the workload', async () => {
    const { report, nPlusOne, table, snapshot, workload } = await profiling(chinook.orm);
    expect(report.count).toBe(11);
    expect(nPlusOne).toMatchObject({ count: 10, relation: 'Album.tracks' });
    expect(table).toMatch(/^11 queries, [\d.]+ ms in the database\n/);
    expect(table).toContain('N+1: 10 ×');
    expect(snapshot.queries.count).toBe(2);
    expect(workload.queries.map((query) => query.calls)).toEqual([1, 1]);
  });

  it('loaders: one query per relation for 20 albums, the same answers as MikroORM', async () => {
    chinook.resetQueries();
    const { albums, artists, tracks, trackCounts, playlistTracks } = await loadersSnippet(chinook.orm);
    const reads = chinook.statements().filter((query) => /^select/i.test(query.query));
    expect(reads).toHaveLength(5); // albums, artists, tracks, counts, playlist tracks
    expect(artists.map((artist) => artist?.id)).toEqual(albums.map((album) => album.artist.id));
    const check = chinook.em();
    const expected = await check.find(
      Album,
      { id: albums.map((album) => album.id) },
      { populate: ['tracks'], orderBy: { id: 'asc' } },
    );
    expect(tracks.map((list) => list.map((track) => track.id))).toEqual(
      expected.map((album) => (album.tracks.getIdentifiers() as number[]).sort((a, b) => a - b)), // no orderBy on Album.tracks: by primary key,
    );
    expect(trackCounts).toEqual(expected.map((album) => album.tracks.length));
    expect(playlistTracks.map((list) => (list as Track[]).length)).toEqual([
      await check.count(Track, { playlists: 1 }),
      0,
      await check.count(Track, { playlists: 3 }),
    ]);
    await chinook.em().getRepository(Album).updateMany([albums[0]!.id], { title: albums[0]!.title }); // put it back
  });

  it('caching: a miss, a hit without queries or updates, invalidation on flush, the hit ratio', async () => {
    const original = (await chinook.em().findOneOrFail(Track, 1)).name;
    chinook.resetQueries();
    const { first, hit, fresh, hits, misses } = await caching(chinook.orm);
    expect(first?.name).toBe(original);
    expect(hit?.name).toBe('Renamed'); // the same instance, renamed by the snippet
    expect(fresh?.name).toBe('Renamed');
    expect([hits, misses]).toEqual([1, 2]);
    const sql = chinook.statements().map((q) => q.query);
    expect(sql.filter((q) => /^select/i.test(q))).toHaveLength(2); // the two misses
    expect(sql.filter((q) => /^update/i.test(q))).toHaveLength(1); // only the rename
    await chinook.em().nativeUpdate(Track, { id: 1 }, { name: original }); // put it back
  });

  it('aggregates: counts and sums match the data', async () => {
    const { perGenre, overall, perCountry } = await aggregates(chinook.em());
    expect(perGenre['1']).toBe(1297);
    expect(overall).toEqual({ invoices: 412, customers: 59, revenue: expect.closeTo(2328.6, 2) });
    expect(perCountry.length).toBeGreaterThan(0);
    expect(perCountry.reduce((n, r) => n + (r.invoices ?? 0), 0)).toBeLessThan(412);
  });
});
