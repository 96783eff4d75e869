import type { EntityClass, EntityData } from '@mikro-orm/core';
import { BasePostgreSqlPlatform, type SqlEntityManager } from '@mikro-orm/sql';
import { BaseRepository } from '@stratum/core';
import {
  type ChinookData,
  type CustomerRow,
  type InvoiceLineRow,
  type InvoiceRow,
  loadChinookData,
} from './chinook-data.js';
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
} from './entities/index.js';

/** Rows per table, keyed like {@link ChinookData}. */
export interface ChinookCounts {
  genres: number;
  mediaTypes: number;
  artists: number;
  albums: number;
  tracks: number;
  employees: number;
  customers: number;
  invoices: number;
  invoiceLines: number;
  playlists: number;
  playlistTracks: number;
}

/** Row counts of the real Chinook dataset (what `seedChinook` inserts at scale 1). */
export const CHINOOK_COUNTS: Readonly<ChinookCounts> = Object.freeze({
  genres: 25,
  mediaTypes: 5,
  artists: 275,
  albums: 347,
  tracks: 3503,
  employees: 8,
  customers: 59,
  invoices: 412,
  invoiceLines: 2240,
  playlists: 18,
  playlistTracks: 8715,
});

/** Options of {@link seedChinook}. */
export interface SeedChinookOptions {
  /**
   * Multiplies customers, invoices and invoice lines: copy 0 is the real data, copies 1..scale-1
   * are deterministic synthetic variations of it. A positive integer; default 1.
   */
  scale?: number;
  /** Rows per INSERT statement, passed to the repositories' `insertMany` (their default when omitted). */
  chunkSize?: number;
  /** Approximate number of synthetic invoice lines generated and inserted per batch; default 20 000. */
  batchSize?: number;
  /** Seed of the synthetic rows' PRNG; default {@link CHINOOK_SEED}. */
  seed?: number;
}

/** Default PRNG seed of the synthetic rows. */
export const CHINOOK_SEED = 0x0c41_700c;

/** The repository of an entity as a `BaseRepository`, even if the entity declares no custom one. */
function bulkRepository<T extends object>(em: SqlEntityManager, entity: EntityClass<T>): BaseRepository<T> {
  const repository: unknown = em.getRepository(entity);
  return repository instanceof BaseRepository ? (repository as BaseRepository<T>) : new BaseRepository<T>(em, entity);
}

/**
 * Seeds the Chinook dataset into an empty schema, table by table in foreign-key order, through the
 * repositories' bulk `insertMany`, all inside one transaction. The dataset's own ids are kept (and
 * PostgreSQL's id sequences moved past them). With `scale > 1`, customers, invoices and invoice lines
 * get `scale - 1` deterministic synthetic copies (ids offset by `copy × max real id`; a copy's invoices
 * belong to its own customers, its lines point to real tracks), generated and inserted in batches so
 * memory stays bounded. Returns the rows inserted per table.
 *
 * @example
 * const orm = await MikroORM.init(chinookConfig({ driver: SqliteDriver, dbName: ':memory:' }));
 * await orm.schema.create();
 * const counts = await seedChinook(orm.em.fork(), { scale: 10 });
 * console.log(counts.invoiceLines); // 22400
 */
export async function seedChinook(em: SqlEntityManager, options: SeedChinookOptions = {}): Promise<ChinookCounts> {
  const { scale = 1, chunkSize, batchSize = 20_000, seed = CHINOOK_SEED } = options;
  if (!Number.isSafeInteger(scale) || scale < 1) {
    throw new RangeError(`seedChinook: scale must be a positive integer, got ${scale}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`seedChinook: batchSize must be a positive integer, got ${batchSize}`);
  }
  const insertOptions = chunkSize === undefined ? undefined : { chunkSize };
  const data = loadChinookData();

  return em.transactional(async (tx) => {
    const insert = async <T extends object>(entity: EntityClass<T>, rows: readonly object[]): Promise<number> => {
      if (rows.length > 0) {
        await bulkRepository(tx, entity).insertMany(rows as EntityData<T>[], insertOptions);
      }
      return rows.length;
    };

    const counts: ChinookCounts = {
      genres: await insert(Genre, data.genres),
      mediaTypes: await insert(MediaType, data.mediaTypes),
      artists: await insert(Artist, data.artists),
      albums: await insert(Album, data.albums),
      tracks: await insert(Track, data.tracks),
      employees: 0,
      customers: 0,
      invoices: 0,
      invoiceLines: 0,
      playlists: 0,
      playlistTracks: 0,
    };
    // A manager's row goes in before the rows of those who report to them (self-referencing FK).
    for (const level of byReportingLevel(data.employees)) {
      counts.employees += await insert(Employee, level);
    }
    counts.customers = await insert(Customer, data.customers);
    counts.invoices = await insert(Invoice, data.invoices);
    counts.invoiceLines = await insert(InvoiceLine, data.invoiceLines);
    counts.playlists = await insert(Playlist, data.playlists);
    counts.playlistTracks = await insert(PlaylistTrack, data.playlistTracks);

    for (const batch of syntheticBatches(data, scale, batchSize, seed)) {
      counts.customers += await insert(Customer, batch.customers);
      counts.invoices += await insert(Invoice, batch.invoices);
      counts.invoiceLines += await insert(InvoiceLine, batch.invoiceLines);
    }

    if (tx.getPlatform() instanceof BasePostgreSqlPlatform) {
      await resetSequences(tx, [
        Genre,
        MediaType,
        Artist,
        Album,
        Track,
        Employee,
        Customer,
        Invoice,
        InvoiceLine,
        Playlist,
      ]);
    }
    return counts;
  });
}

/** Employees grouped so that each group's managers are in earlier groups. */
function byReportingLevel<T extends { id: number; reportsTo: number | null }>(employees: readonly T[]): T[][] {
  const levels: T[][] = [];
  const placed = new Set<number>();
  let pending = [...employees];
  while (pending.length > 0) {
    const level = pending.filter((e) => e.reportsTo === null || placed.has(e.reportsTo));
    if (level.length === 0) {
      // A cycle or a manager outside the data: insert the rest as they are and let the database judge.
      levels.push(pending);
      break;
    }
    for (const e of level) {
      placed.add(e.id);
    }
    levels.push(level);
    pending = pending.filter((e) => !placed.has(e.id));
  }
  return levels;
}

/** Explicit ids do not advance PostgreSQL sequences: move each one to its table's max id. */
async function resetSequences(em: SqlEntityManager, entities: readonly EntityClass<object>[]): Promise<void> {
  const platform = em.getPlatform();
  for (const entity of entities) {
    const meta = em.getMetadata().get(entity);
    const pk = meta.getPrimaryProps()[0];
    const column = pk?.fieldNames[0];
    if (!pk?.autoincrement || !column) {
      continue;
    }
    const table = platform.quoteIdentifier(meta.schema ? `${meta.schema}.${meta.tableName}` : meta.tableName);
    const col = platform.quoteIdentifier(column);
    await em.execute(`select setval(pg_get_serial_sequence(?, ?), coalesce(max(${col}), 0) + 1, false) from ${table}`, [
      meta.schema ? `${meta.schema}.${meta.tableName}` : meta.tableName,
      column,
    ]);
  }
}

/** One batch of synthetic rows, in insertion order (customers, then their invoices, then lines). */
interface SyntheticBatch {
  customers: CustomerRow[];
  invoices: InvoiceRow[];
  invoiceLines: InvoiceLineRow[];
}

/**
 * Yields the synthetic copies 1..scale-1 in batches of whole copies (about `batchSize` invoice
 * lines each). Each copy has its own PRNG stream, so the data does not depend on the batch size.
 */
function* syntheticBatches(
  data: ChinookData,
  scale: number,
  batchSize: number,
  seed: number,
): Generator<SyntheticBatch> {
  const copiesPerBatch = Math.max(1, Math.floor(batchSize / Math.max(1, data.invoiceLines.length)));
  for (let first = 1; first < scale; first += copiesPerBatch) {
    const batch: SyntheticBatch = { customers: [], invoices: [], invoiceLines: [] };
    for (let copy = first; copy < Math.min(scale, first + copiesPerBatch); copy++) {
      syntheticCopy(data, copy, seed, batch);
    }
    yield batch;
  }
}

const DAY_MS = 86_400_000;

/** Appends synthetic copy number `copy` (≥ 1) of customers, invoices and invoice lines to `out`. */
function syntheticCopy(data: ChinookData, copy: number, seed: number, out: SyntheticBatch): void {
  const random = mulberry32(seed ^ Math.imul(copy, 0x9e37_79b9));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const customerOffset = copy * maxId(data.customers);
  const invoiceOffset = copy * maxId(data.invoices);
  const lineOffset = copy * maxId(data.invoiceLines);
  const firstNames = data.customers.map((c) => c.firstName);
  const lastNames = data.customers.map((c) => c.lastName);

  for (const c of data.customers) {
    const [local, domain] = splitEmail(c.email);
    out.customers.push({
      ...c,
      id: c.id + customerOffset,
      firstName: pick(firstNames),
      lastName: pick(lastNames),
      email: `${local}.${copy}@${domain}`,
    });
  }

  // Lines point to random real tracks at the track's price; invoice totals are recomputed from them.
  const totalCents = new Map<number, number>();
  for (const line of data.invoiceLines) {
    const track = pick(data.tracks);
    const quantity = random() < 0.1 ? 2 : 1;
    const invoice = line.invoice + invoiceOffset;
    out.invoiceLines.push({ id: line.id + lineOffset, invoice, track: track.id, unitPrice: track.unitPrice, quantity });
    totalCents.set(invoice, (totalCents.get(invoice) ?? 0) + Math.round(track.unitPrice * 100) * quantity);
  }

  for (const inv of data.invoices) {
    const id = inv.id + invoiceOffset;
    const shiftDays = Math.floor(random() * 365) - 182;
    out.invoices.push({
      ...inv,
      id,
      customer: inv.customer + customerOffset,
      invoiceDate: new Date(inv.invoiceDate.getTime() + shiftDays * DAY_MS),
      total: (totalCents.get(id) ?? 0) / 100,
    });
  }
}

function maxId(rows: readonly { id: number }[]): number {
  let max = 0;
  for (const row of rows) {
    max = Math.max(max, row.id);
  }
  return max;
}

function splitEmail(email: string): [string, string] {
  const at = email.lastIndexOf('@');
  return at < 0 ? [email, 'example.com'] : [email.slice(0, at), email.slice(at + 1)];
}

/**
 * mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence of floats in [0, 1).
 *
 * @example
 * const random = mulberry32(42);
 * random(); // 0.6011037519201636, every time
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b_79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
