import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChinookData } from '../src/chinook-data.js';
import { chinookConfig } from '../src/config.js';
import {
  Album,
  Artist,
  Customer,
  Employee,
  Genre,
  Invoice,
  InvoiceLine,
  MediaType,
  Playlist,
  PlaylistTrack,
  Track,
} from '../src/entities/index.js';
import { CHINOOK_COUNTS, type ChinookCounts, mulberry32, seedChinook } from '../src/seeder.js';

const dir = mkdtempSync(join(tmpdir(), 'stratum-chinook-'));
const orms: MikroORM<AbstractSqlDriver>[] = [];

/** A fresh SQLite file in the temp dir, with the schema created. */
async function freshOrm(name: string): Promise<MikroORM<AbstractSqlDriver>> {
  const orm = await MikroORM.init<AbstractSqlDriver>(chinookConfig({ driver: SqliteDriver, dbName: join(dir, name) }));
  orms.push(orm);
  await orm.schema.create();
  return orm;
}

/** Rows per table as the database counts them. */
async function countRows(em: SqlEntityManager): Promise<ChinookCounts> {
  return {
    genres: await em.count(Genre),
    mediaTypes: await em.count(MediaType),
    artists: await em.count(Artist),
    albums: await em.count(Album),
    tracks: await em.count(Track),
    employees: await em.count(Employee),
    customers: await em.count(Customer),
    invoices: await em.count(Invoice),
    invoiceLines: await em.count(InvoiceLine),
    playlists: await em.count(Playlist),
    playlistTracks: await em.count(PlaylistTrack),
  };
}

/** SHA-256 of a table's rows in id order, as the database returns them. */
async function checksum(em: SqlEntityManager, table: string): Promise<string> {
  const rows = await em.execute(`select * from ${table} order by id`);
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

afterAll(async () => {
  for (const orm of orms) {
    await orm.close(true);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('seedChinook at scale 1', () => {
  let orm: MikroORM<AbstractSqlDriver>;
  let counts: ChinookCounts;

  beforeAll(async () => {
    orm = await freshOrm('scale-1.sqlite');
    counts = await seedChinook(orm.em.fork());
  });

  it('inserts every real row', async () => {
    expect(counts).toEqual(CHINOOK_COUNTS);
    expect(await countRows(orm.em.fork())).toEqual(CHINOOK_COUNTS);
  });

  it('CHINOOK_COUNTS matches the dataset', () => {
    const data = loadChinookData();
    const fromData = Object.fromEntries(Object.entries(data).map(([table, rows]) => [table, rows.length]));
    expect(fromData).toEqual(CHINOOK_COUNTS);
  });

  it('keeps the dataset ids and populates track → album → artist', async () => {
    const em = orm.em.fork();
    const album = await em.findOneOrFail(Album, 1, { populate: ['artist'] });
    expect(album.title).toBe('For Those About To Rock We Salute You');
    expect(album.artist.name).toBe('AC/DC');

    const track = await em.findOneOrFail(Track, 1, { populate: ['album.artist', 'genre', 'mediaType'] });
    expect(track.album?.artist.name).toBe('AC/DC');
    expect(track.genre?.name).toBe('Rock');
    expect(track.mediaType.name).toBe('MPEG audio file');
    expect(track.unitPrice).toBe(0.99);
  });

  it('maps the employee hierarchy and support reps', async () => {
    const em = orm.em.fork();
    const nancy = await em.findOneOrFail(Employee, 2, { populate: ['reportsTo', 'reports'] });
    expect(nancy.firstName).toBe('Nancy');
    expect(nancy.reportsTo?.firstName).toBe('Andrew');
    expect(
      nancy.reports
        .getItems()
        .map((e) => e.id)
        .sort((a, b) => a - b),
    ).toEqual([3, 4, 5]);
    expect(nancy.birthDate).toEqual(new Date('1958-12-08T00:00:00Z'));

    const andrew = await em.findOneOrFail(Employee, 1, { populate: ['reportsTo'] });
    expect(andrew.reportsTo).toBeNull();

    const customer = await em.findOneOrFail(Customer, 1, { populate: ['supportRep'] });
    expect(customer.supportRep?.firstName).toBe('Jane');
    expect(customer.company).toBe('Embraer - Empresa Brasileira de Aeronáutica S.A.');
    expect(await em.count(Customer, { company: null })).toBe(49);
  });

  it('fills the playlist_track pivot', async () => {
    const em = orm.em.fork();
    const expected = loadChinookData()
      .playlistTracks.filter((row) => row.playlist === 1)
      .map((row) => row.track)
      .sort((a, b) => a - b);
    const music = await em.findOneOrFail(Playlist, 1, { populate: ['tracks'] });
    expect(music.name).toBe('Music');
    expect(
      music.tracks
        .getItems()
        .map((t) => t.id)
        .sort((a, b) => a - b),
    ).toEqual(expected);

    const track = await em.findOneOrFail(Track, 3402, { populate: ['playlists'] });
    expect(track.playlists.getItems().map((p) => p.id)).toContain(1);
  });

  it('keeps invoice totals equal to the sum of their lines', async () => {
    const em = orm.em.fork();
    const invoice = await em.findOneOrFail(Invoice, 1, { populate: ['lines', 'customer'] });
    expect(invoice.total).toBe(1.98);
    expect(invoice.lines).toHaveLength(2);
    expect(invoice.customer.id).toBe(2);
    expect(invoice.invoiceDate).toEqual(new Date('2021-01-01T00:00:00Z'));
  });
});

describe('seedChinook at scale 2', () => {
  let first: MikroORM<AbstractSqlDriver>;
  let second: MikroORM<AbstractSqlDriver>;
  let counts: ChinookCounts;

  beforeAll(async () => {
    first = await freshOrm('scale-2-a.sqlite');
    second = await freshOrm('scale-2-b.sqlite');
    counts = await seedChinook(first.em.fork(), { scale: 2 });
    // Another batch and chunk size must not change the data.
    await seedChinook(second.em.fork(), { scale: 2, batchSize: 1, chunkSize: 100 });
  });

  it('doubles customers, invoices and invoice lines only', async () => {
    const expected: ChinookCounts = {
      ...CHINOOK_COUNTS,
      customers: 2 * CHINOOK_COUNTS.customers,
      invoices: 2 * CHINOOK_COUNTS.invoices,
      invoiceLines: 2 * CHINOOK_COUNTS.invoiceLines,
    };
    expect(counts).toEqual(expected);
    expect(await countRows(first.em.fork())).toEqual(expected);
    expect(await countRows(second.em.fork())).toEqual(expected);
  });

  it('is deterministic: the same data twice gives the same checksums', async () => {
    for (const table of ['customer', 'invoice', 'invoice_line']) {
      expect(await checksum(second.em.fork(), table), table).toBe(await checksum(first.em.fork(), table));
    }
  });

  it('keeps foreign keys inside each synthetic copy', async () => {
    const em = first.em.fork();
    const { customers, invoices, invoiceLines, tracks } = CHINOOK_COUNTS;
    const [row] = await em.execute<{ strays: number; badTotals: number; badTracks: number }[]>(
      `select
         (select count(*) from invoice where id > ? and (customer_id <= ? or customer_id > ?)) as strays,
         (select count(*) from invoice i
            where abs(i.total - (select sum(l.unit_price * l.quantity) from invoice_line l where l.invoice_id = i.id)) > 0.001
         ) as badTotals,
         (select count(*) from invoice_line where id > ? and (track_id < 1 or track_id > ?)) as badTracks`,
      [invoices, customers, 2 * customers, invoiceLines, tracks],
    );
    expect(row).toEqual({ strays: 0, badTotals: 0, badTracks: 0 });

    const copy = await em.findOneOrFail(Invoice, invoices + 1, { populate: ['customer.supportRep', 'lines.track'] });
    expect(copy.customer.id).toBeGreaterThan(customers);
    expect(copy.customer.supportRep).not.toBeNull();
    expect(copy.lines.length).toBeGreaterThan(0);
  });

  it('rejects a scale that is not a positive integer', async () => {
    await expect(seedChinook(first.em.fork(), { scale: 0 })).rejects.toThrow(RangeError);
    await expect(seedChinook(first.em.fork(), { scale: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const values = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(values);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(values[0]);
  });
});
