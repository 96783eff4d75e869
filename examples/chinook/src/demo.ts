// The Stratum demo: loads Chinook into the embedded default (an SQLite file, no server) and shows
// BaseRepository at work: offset pages, keyset cursors, a chunked bulk insert, a bounded-memory
// stream and one-query aggregates; then the query profiler on an N+1, and its fixes: populate and
// Stratum's loaders; then the cache (in memory, or Redis when STRATUM_REDIS_URL is set).
//
//   pnpm demo [--scale N]
//
// PostgreSQL instead of SQLite: STRATUM_PG_URL=postgres://user@host:5432/db pnpm demo
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Cache, cacheOf, enableCache, RedisStore } from '@stratum/cache';
import { loaders } from '@stratum/dataloader';
import { instrument, profile } from '@stratum/profiler';
import { formatPragmas, sqliteTuningReport, walBytes } from '@stratum/sqlite';
import { Redis } from 'ioredis';
import config from '../../../mikro-orm.config.js';
import { Album, Genre, Invoice, InvoiceLine, Track } from './entities/index.js';
import { seedChinook } from './seeder.js';

/** Runs every section of the demo against `em` (an empty, freshly created schema) and prints as it goes. */
export async function runDemo(
  em: SqlEntityManager,
  options: { scale?: number; print?: (line: string) => void } = {},
): Promise<void> {
  const print = options.print ?? console.log;
  const scale = options.scale ?? 1;

  section(print, `1. Seed Chinook ×${scale} through BaseRepository.insertMany (chunked, one transaction)`);
  let started = performance.now();
  const counts = await seedChinook(em.fork(), { scale });
  print(
    `   ${Object.entries(counts)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ')}`,
  );
  print(`   in ${ms(started)}`);

  section(print, '2. Offset pages: findPage (the primary key breaks ties, perPage is capped)');
  const tracks = em.fork().getRepository(Track);
  const page = await tracks.findPage({ where: { genre: 1 }, orderBy: { milliseconds: 'desc' }, page: 2, perPage: 5 });
  print(
    `   Rock tracks, longest first: page ${page.page} of ${page.pages} (${page.total} tracks), hasPrev ${page.hasPrev}, hasNext ${page.hasNext}`,
  );
  table(
    print,
    page.items.map((t) => ({ id: t.id, name: t.name, minutes: (t.milliseconds / 60_000).toFixed(1) })),
  );

  section(print, '3. Keyset cursors: findByCursor, forward then back');
  const orderBy = { unitPrice: 'desc', name: 'asc' } as const;
  const first = await tracks.findByCursor({ orderBy, first: 3 });
  const next = await tracks.findByCursor({ orderBy, first: 3, after: first.endCursor! });
  const back = await tracks.findByCursor({ orderBy, last: 3, before: next.startCursor! });
  print(`   first 3:  ${first.items.map((t) => t.name).join(' | ')}`);
  print(`   next 3:   ${next.items.map((t) => t.name).join(' | ')}`);
  print(`   back to:  ${back.items.map((t) => t.name).join(' | ')}`);

  section(print, '4. Bulk insert: 50 000 invoice lines with insertMany, then deleteMany');
  const lines = em.fork().getRepository(InvoiceLine);
  const rows = Array.from({ length: 50_000 }, (_, i) => ({
    invoice: (i % 412) + 1,
    track: ((i * 7) % 3503) + 1,
    unitPrice: 0.99,
    quantity: 1,
  }));
  started = performance.now();
  const ids = await lines.insertMany(rows);
  const insertMs = performance.now() - started;
  print(
    `   inserted ${ids.length} rows in ${insertMs.toFixed(0)} ms (${Math.round(ids.length / (insertMs / 1000)).toLocaleString('en')} rows/s), ids ${ids[0]}…${ids.at(-1)}`,
  );
  started = performance.now();
  const deleted = await lines.deleteMany(ids);
  print(`   deleted ${deleted} rows by id in ${ms(started)}`);

  section(print, '5. Stream: every invoice line, in keyset batches, with flat memory');
  started = performance.now();
  const heapBefore = process.memoryUsage().heapUsed;
  let streamed = 0;
  let revenue = 0;
  for await (const line of em.fork().getRepository(InvoiceLine).stream({}, { batchSize: 2000 })) {
    streamed++;
    revenue += line.unitPrice * line.quantity;
  }
  print(
    `   ${streamed} lines, revenue ${revenue.toFixed(2)}, in ${ms(started)}; heap ${mb(process.memoryUsage().heapUsed - heapBefore)} vs before`,
  );

  section(print, '6. Aggregates: one grouped query instead of several counts');
  const invoices = em.fork().getRepository(Invoice);
  const [overall] = await invoices.aggregate({
    metrics: {
      invoices: { count: '*' },
      customers: { countDistinct: 'customer' },
      revenue: { sum: 'total' },
      biggest: { max: 'total' },
    },
  });
  print(`   overall: ${JSON.stringify(overall)}`);
  const perCountry = await invoices.aggregate({
    groupBy: 'billingCountry',
    metrics: { invoices: { count: '*' }, revenue: { sum: 'total' } },
  });
  perCountry.sort((a, b) => (b.revenue ?? 0) - (a.revenue ?? 0));
  table(
    print,
    perCountry
      .slice(0, 5)
      .map((r) => ({ country: r.billingCountry, invoices: r.invoices, revenue: r.revenue?.toFixed(2) })),
  );
  const perGenre = await tracks.countBy('genre');
  const genres = new Map((await em.fork().find(Genre, {})).map((g) => [String(g.id), g.name]));
  const top = Object.entries(perGenre)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  print(`   tracks per genre (countBy): ${top.map(([id, n]) => `${genres.get(id)} ${n}`).join(', ')}`);

  section(print, '7. Profile: every query of a block, grouped by shape, with the N+1 it hides');
  instrument(em);
  const lazy = await profile(async () => {
    const fork = em.fork();
    const albums = await fork.find(Album, {}, { limit: 10, orderBy: { id: 'asc' } });
    for (const album of albums) {
      await album.tracks.init(); // one query per album: an N+1
    }
  });
  print(indent(lazy.format()));
  const eager = await profile(() =>
    em.fork().find(Album, {}, { limit: 10, orderBy: { id: 'asc' }, populate: ['tracks'] }),
  );
  print(`   with populate: ['tracks']: ${eager.count} queries, ${eager.nPlusOne().length} N+1`);

  section(print, '8. Loaders: the same N+1 removed where populate cannot reach (a resolver per album)');
  for (const limit of [10, 100]) {
    const batched = await profile(async () => {
      const fork = em.fork();
      const albums = await fork.find(Album, {}, { limit, orderBy: { id: 'asc' } });
      // What a GraphQL resolver does: one load() per parent, each unaware of the others.
      await Promise.all(albums.map((album) => loaders(fork).collection(Album, 'tracks').load(album)));
    });
    print(
      `   ${limit} albums and their tracks with loaders(em).collection(Album, 'tracks'): ${batched.count} queries, ${batched.nPlusOne().length} N+1`,
    );
  }

  section(print, '9. Cache: @Cached hits, invalidation on flush, the hit ratio');
  const cache = cacheOf(em);
  const before = cache.stats();
  for (const id of [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]) {
    await em.fork().getRepository(Track).findCached(id); // TrackRepository.findCached is @Cached
  }
  const hit = await profile(() => em.fork().getRepository(Track).findCached(1));
  print(`   10 calls of findCached(1 or 2): 2 misses, then hits; one more hit sends ${hit.count} queries`);
  const writer = em.fork();
  const track = (await writer.findOne(Track, 1)) as Track;
  track.name = `${track.name} (remastered)`;
  await writer.flush(); // enableCache(orm, { invalidateOnWrite: [Track] }): the commit invalidates Track:1
  const after = await profile(() => em.fork().getRepository(Track).findCached(1));
  print(`   after a flush renamed track 1: ${after.count} query, "${after.result?.name}"`);
  const stats = cache.stats();
  const hits = stats.hits - before.hits;
  const misses = stats.misses - before.misses;
  print(
    `   ${hits} hits, ${misses} misses, hit ratio ${(hits / (hits + misses)).toFixed(2)} (namespace ${cache.namespace})`,
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

function section(print: (line: string) => void, title: string): void {
  print('');
  print(title);
}

function table(print: (line: string) => void, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) {
    print('   (no rows)');
    return;
  }
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.min(48, Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length))));
  const line = (cells: string[]) =>
    `   ${cells.map((cell, i) => cell.slice(0, widths[i]).padEnd(widths[i]!)).join('  ')}`;
  print(line(columns));
  print(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) {
    print(line(columns.map((c) => String(row[c] ?? ''))));
  }
}

function ms(started: number): string {
  return `${(performance.now() - started).toFixed(0)} ms`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

function mb(bytes: number): string {
  return `${bytes >= 0 ? '+' : ''}${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { scale: { type: 'string', default: '1' } },
    args: process.argv.slice(2).filter((a) => a !== '--'),
  });
  const scale = Number(values.scale);
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new Error(`--scale must be a positive integer, got "${values.scale}"`);
  }
  const orm = await MikroORM.init(config);
  // The cache: in memory by default; Redis when STRATUM_REDIS_URL is set (a namespace per run).
  const redisUrl = process.env.STRATUM_REDIS_URL;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1 }) : undefined;
  const namespace = `stratum-demo-${process.pid}`;
  const cache = redis
    ? new Cache({ store: new RedisStore({ client: redis, namespace }), namespace: 'demo' })
    : undefined;
  try {
    enableCache(orm, { ...(cache ? { cache } : {}), invalidateOnWrite: [Track] });
    const where = orm.config.get('clientUrl') ? 'PostgreSQL' : `SQLite file ${orm.config.get('dbName')}`;
    console.log(`Stratum demo on ${where} (cache: ${redis ? `Redis at ${redisUrl}` : 'in-memory default'})`);
    await orm.schema.refresh();
    // @stratum/sqlite (the example config's default preset) applied these, read back from the connection.
    const tuning = sqliteTuningReport(orm);
    if (tuning) console.log(`SQLite pragmas: ${formatPragmas(tuning)}`);
    await runDemo(orm.em.fork() as SqlEntityManager, { scale });
    if (tuning) console.log(`\nSQLite WAL file at the end: ${kib(walBytes(tuning.file))}`);
  } finally {
    await cache?.store.clear();
    redis?.disconnect();
    await orm.close();
  }
  const file = orm.config.get('clientUrl') ? undefined : orm.config.get('dbName');
  if (file && file !== ':memory:')
    console.log(`SQLite WAL file after close (TRUNCATE checkpoint): ${kib(walBytes(file))}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
