// An app's workload over Chinook, as MikroORM calls: the read and write shapes a music store's
// backend would run (lookups, lists with ORDER BY + LIMIT, searches, reports), each with the
// frequency the app would give it. Recorded through the profiler, it is the input of the index
// advisor (issue 14) and of `pnpm bench indexes`. Parameters come from a seeded generator, so a run
// is the same every time on the same data.
import type { MikroORM } from '@mikro-orm/core';
import { BasePostgreSqlPlatform, type SqlEntityManager } from '@mikro-orm/sql';
import { profile, toWorkload, type Workload } from '@stratum/profiler';
import { Album, Artist, Customer, Employee, Genre, Invoice, InvoiceLine, Track } from '../entities/index.js';

/** One shape of the workload: what it asks, how often per round, and the call that asks it. */
export interface WorkloadShape {
  readonly name: string;
  readonly kind: 'read' | 'write';
  /** Calls per round (relative frequency). */
  readonly calls: number;
  /** One call, on a fresh fork, with parameters drawn from `pick`. */
  readonly run: (em: SqlEntityManager, pick: Picker) => Promise<unknown>;
}

/** Draws parameters from what is in the database (ids, emails, names, dates), deterministically. */
export interface Picker {
  int(below: number): number;
  of<T>(values: readonly T[]): T;
  readonly sample: WorkloadSample;
}

/** Values the shapes draw their parameters from, read once from the database. */
export interface WorkloadSample {
  readonly customerIds: readonly number[];
  readonly emails: readonly string[];
  readonly lastNamePrefixes: readonly string[];
  readonly invoiceIds: readonly number[];
  readonly albumIds: readonly number[];
  readonly artistIds: readonly number[];
  readonly artistNames: readonly string[];
  readonly genreIds: readonly number[];
  readonly trackIds: readonly number[];
  readonly composers: readonly string[];
  readonly countries: readonly string[];
  readonly cities: readonly string[];
  readonly employeeIds: readonly number[];
  readonly firstInvoice: Date;
  readonly lastInvoice: Date;
}

/** The operator an app uses to match text ignoring case on this database. */
function caseInsensitiveLike(em: SqlEntityManager): '$ilike' | '$like' {
  return em.getPlatform() instanceof BasePostgreSqlPlatform ? '$ilike' : '$like';
}

const SEARCH_TERMS = ['love', 'night', 'rock', 'blue', 'heart', 'time', 'man', 'day'] as const;
const DAY = 24 * 60 * 60 * 1000;

/** A date range of `days` days within the invoices' span. */
function range(pick: Picker, days: number): { $gte: Date; $lt: Date } {
  const { firstInvoice, lastInvoice } = pick.sample;
  const span = Math.max(1, lastInvoice.getTime() - firstInvoice.getTime() - days * DAY);
  const start = new Date(firstInvoice.getTime() + pick.int(Math.floor(span / DAY)) * DAY);
  return { $gte: start, $lt: new Date(start.getTime() + days * DAY) };
}

/**
 * The shapes, heaviest first: 17 reads and 3 writes. Frequencies are per round of the workload.
 *
 * @example
 * ```ts
 * CHINOOK_WORKLOAD.filter((shape) => shape.kind === 'read').length; // 17
 * ```
 */
export const CHINOOK_WORKLOAD: readonly WorkloadShape[] = [
  {
    name: 'invoice lines of an invoice',
    kind: 'read',
    calls: 40,
    run: (em, pick) => em.find(InvoiceLine, { invoice: pick.of(pick.sample.invoiceIds) }),
  },
  {
    name: 'customer by email (sign-in)',
    kind: 'read',
    calls: 30,
    run: (em, pick) => em.findOne(Customer, { email: pick.of(pick.sample.emails) }),
  },
  {
    name: "a customer's 10 most recent invoices",
    kind: 'read',
    calls: 30,
    run: (em, pick) =>
      em.find(Invoice, { customer: pick.of(pick.sample.customerIds) }, { orderBy: { invoiceDate: 'desc' }, limit: 10 }),
  },
  {
    name: 'tracks of an album, by name',
    kind: 'read',
    calls: 25,
    run: (em, pick) => em.find(Track, { album: pick.of(pick.sample.albumIds) }, { orderBy: { name: 'asc' } }),
  },
  {
    name: 'track search by a word in the name',
    kind: 'read',
    calls: 20,
    run: (em, pick) =>
      // ILIKE on PostgreSQL; SQLite's LIKE already ignores case (and has no ILIKE).
      em.find(
        Track,
        { name: { [caseInsensitiveLike(em)]: `%${pick.of(SEARCH_TERMS)}%` } },
        { orderBy: { id: 'asc' }, limit: 20 },
      ),
  },
  {
    name: 'albums of an artist, by title',
    kind: 'read',
    calls: 15,
    run: (em, pick) => em.find(Album, { artist: pick.of(pick.sample.artistIds) }, { orderBy: { title: 'asc' } }),
  },
  {
    name: 'times a track was sold',
    kind: 'read',
    calls: 15,
    run: (em, pick) => em.count(InvoiceLine, { track: pick.of(pick.sample.trackIds) }),
  },
  {
    name: 'customers by last-name prefix (admin search)',
    kind: 'read',
    calls: 10,
    run: (em, pick) =>
      em.find(
        Customer,
        { lastName: { $like: `${pick.of(pick.sample.lastNamePrefixes)}%` } },
        { orderBy: { lastName: 'asc', firstName: 'asc' }, limit: 20 },
      ),
  },
  {
    name: 'longest tracks of a genre',
    kind: 'read',
    calls: 10,
    run: (em, pick) =>
      em.find(Track, { genre: pick.of(pick.sample.genreIds) }, { orderBy: { milliseconds: 'desc' }, limit: 10 }),
  },
  {
    name: 'artist by name',
    kind: 'read',
    calls: 10,
    run: (em, pick) => em.findOne(Artist, { name: pick.of(pick.sample.artistNames) }),
  },
  {
    name: 'invoices of a country in a month (report)',
    kind: 'read',
    calls: 8,
    run: (em, pick) =>
      em.find(
        Invoice,
        { billingCountry: pick.of(pick.sample.countries), invoiceDate: range(pick, 31) },
        { orderBy: { invoiceDate: 'asc' } },
      ),
  },
  {
    name: 'revenue per country in a quarter (report)',
    kind: 'read',
    calls: 5,
    run: (em, pick) =>
      em.getRepository(Invoice).aggregate({
        where: { invoiceDate: range(pick, 92) },
        groupBy: 'billingCountry',
        metrics: { revenue: { sum: 'total' } },
      }),
  },
  {
    name: 'latest invoices of a city',
    kind: 'read',
    calls: 5,
    run: (em, pick) =>
      em.find(Invoice, { billingCity: pick.of(pick.sample.cities) }, { orderBy: { invoiceDate: 'desc' }, limit: 20 }),
  },
  {
    name: 'customers of a support rep',
    kind: 'read',
    calls: 5,
    run: (em, pick) => em.find(Customer, { supportRep: pick.of(pick.sample.employeeIds) }, { orderBy: { id: 'asc' } }),
  },
  {
    name: 'customers of a country, by last name',
    kind: 'read',
    calls: 5,
    run: (em, pick) =>
      em.find(Customer, { country: pick.of(pick.sample.countries) }, { orderBy: { lastName: 'asc' }, limit: 50 }),
  },
  {
    name: 'the largest invoices (>= 20)',
    kind: 'read',
    calls: 3,
    run: (em) => em.find(Invoice, { total: { $gte: 20 } }, { orderBy: { total: 'desc' }, limit: 10 }),
  },
  {
    name: 'tracks of a composer',
    kind: 'read',
    calls: 3,
    run: (em, pick) => em.find(Track, { composer: pick.of(pick.sample.composers) }, { orderBy: { id: 'asc' } }),
  },
  {
    name: 'a new invoice with two lines (checkout)',
    kind: 'write',
    calls: 6,
    run: async (em, pick) => {
      const customer = em.getReference(Customer, pick.of(pick.sample.customerIds));
      const invoice = em.create(Invoice, {
        customer,
        invoiceDate: new Date(),
        billingCountry: pick.of(pick.sample.countries),
        billingCity: pick.of(pick.sample.cities),
        total: 1.98,
      });
      for (let i = 0; i < 2; i++) {
        em.create(InvoiceLine, {
          invoice,
          track: em.getReference(Track, pick.of(pick.sample.trackIds)),
          unitPrice: 0.99,
          quantity: 1,
        });
      }
      await em.flush();
    },
  },
  {
    name: "a customer's new phone number",
    kind: 'write',
    calls: 3,
    run: (em, pick) =>
      em.nativeUpdate(Customer, { id: pick.of(pick.sample.customerIds) }, { phone: `+1 555 ${1000 + pick.int(9000)}` }),
  },
  {
    name: 'a refunded invoice line',
    kind: 'write',
    calls: 1,
    run: async (em, pick) => {
      const line = await em.findOne(
        InvoiceLine,
        { invoice: pick.of(pick.sample.invoiceIds) },
        { orderBy: { id: 'desc' } },
      );
      if (line) await em.nativeDelete(InvoiceLine, { id: line.id });
    },
  },
];

/**
 * Reads the values the shapes draw their parameters from: every id (or a spread sample of them),
 * emails, names, countries and the invoices' date span.
 *
 * @example
 * ```ts
 * const sample = await readWorkloadSample(orm.em.fork() as SqlEntityManager);
 * ```
 */
export async function readWorkloadSample(em: SqlEntityManager, size = 500): Promise<WorkloadSample> {
  const ids = async (entity: new () => object, limit = size): Promise<number[]> => {
    const rows = (await em.find(entity, {}, { orderBy: { id: 'asc' } as never, fields: ['id'] as never })) as {
      id: number;
    }[];
    const step = Math.max(1, Math.floor(rows.length / limit));
    return rows.filter((_, i) => i % step === 0).map((row) => Number(row.id));
  };
  const customers = await em.find(
    Customer,
    {},
    { orderBy: { id: 'asc' }, limit: size, fields: ['email', 'lastName', 'country', 'city'] },
  );
  const artists = await em.find(Artist, {}, { orderBy: { id: 'asc' }, limit: size });
  const tracks = await em.find(
    Track,
    { composer: { $ne: null } },
    { orderBy: { id: 'asc' }, limit: size, fields: ['composer'] },
  );
  const [first] = await em.find(Invoice, {}, { orderBy: { invoiceDate: 'asc' }, limit: 1, fields: ['invoiceDate'] });
  const [last] = await em.find(Invoice, {}, { orderBy: { invoiceDate: 'desc' }, limit: 1, fields: ['invoiceDate'] });
  const distinct = <T>(values: (T | null | undefined)[]): T[] => [...new Set(values.filter((v): v is T => v != null))];
  return {
    customerIds: await ids(Customer),
    emails: customers.map((c) => c.email),
    lastNamePrefixes: distinct(customers.map((c) => c.lastName.slice(0, 2))),
    invoiceIds: await ids(Invoice),
    albumIds: await ids(Album),
    artistIds: await ids(Artist),
    artistNames: artists.map((a) => a.name).filter((name): name is string => typeof name === 'string'),
    genreIds: await ids(Genre),
    trackIds: await ids(Track),
    composers: distinct(tracks.map((t) => t.composer)),
    countries: distinct(customers.map((c) => c.country)),
    cities: distinct(customers.map((c) => c.city)),
    employeeIds: await ids(Employee),
    firstInvoice: first?.invoiceDate ?? new Date(0),
    lastInvoice: last?.invoiceDate ?? new Date(),
  };
}

/** A seeded picker (mulberry32): the same parameters for the same seed and sample. */
export function seededPicker(sample: WorkloadSample, seed = 42): Picker {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    sample,
    int: (below) => Math.floor(next() * below),
    of: (values) => {
      if (values.length === 0) throw new RangeError('the workload sample has no values for a shape');
      return values[Math.floor(next() * values.length)] as never;
    },
  };
}

/**
 * Runs `rounds` rounds of the workload (each shape `calls` times per round, interleaved, one fresh
 * fork per call) under the profiler and returns the workload file it recorded. The ORM must be
 * instrumented (`instrument(orm)`).
 *
 * @example
 * ```ts
 * instrument(orm);
 * const workload = await recordChinookWorkload(orm, { rounds: 2 });
 * await writeWorkload('chinook-workload.json', workload);
 * ```
 */
export async function recordChinookWorkload(
  orm: MikroORM,
  options: { rounds?: number; seed?: number; shapes?: readonly WorkloadShape[] } = {},
): Promise<Workload> {
  const shapes = options.shapes ?? CHINOOK_WORKLOAD;
  const pick = seededPicker(await readWorkloadSample(orm.em.fork() as SqlEntityManager), options.seed);
  const schedule = interleaved(shapes);
  const report = await profile(async () => {
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      for (const shape of schedule) await shape.run(orm.em.fork() as SqlEntityManager, pick);
    }
  });
  return toWorkload(report.queries);
}

/** Each shape `calls` times, spread over the round (a write between reads, not all writes at the end). */
function interleaved(shapes: readonly WorkloadShape[]): WorkloadShape[] {
  const slots: { at: number; shape: WorkloadShape }[] = [];
  for (const shape of shapes) {
    for (let i = 0; i < shape.calls; i++) slots.push({ at: (i + 0.5) / shape.calls, shape });
  }
  return slots.sort((a, b) => a.at - b.at).map((slot) => slot.shape);
}
