// The workload of an app over Chinook, run through MikroORM: what the indexer's Chinook test and the
// `indexer` benchmark record with @stratum/profiler and hand to the advisor.
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Customer, Invoice, InvoiceLine, Track } from '../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS } from '../../examples/chinook/src/seeder.js';

const DAY_MS = 86_400_000;

/**
 * Runs the app's read and write shapes with how often each runs — 17 reads (sign-in by email 100×, a
 * daily invoice report 40×, a country's next invoices 30×, a customer's recent invoices 60×, the lines of
 * an invoice 60×, an album's tracks by name 40×, a track search 8×, a country's customers by name 30×, a
 * name prefix search 10×, a city's latest invoices 20×, the biggest invoices 10×, a monthly country
 * report 12×, a composer's tracks 20×, a customer's order count 30×, who bought a track 20×, plus the
 * look-ups the writes make) and 4 writes (a profile edit 10×, a checkout: an invoice and a line 10×,
 * a line removed 5×) — parameters varying per call, on Chinook seeded at `scale`.
 *
 * @example
 * const report = await profile(() => runChinookApp(orm, 100));
 * await writeWorkload('workload.json', toWorkload(report.queries));
 */
export async function runChinookApp(orm: MikroORM, scale: number): Promise<void> {
  const em = () => orm.em.fork() as SqlEntityManager;
  const customers = CHINOOK_COUNTS.customers * scale;
  const invoices = CHINOOK_COUNTS.invoices * scale;
  const emails = (await em().find(Customer, {}, { fields: ['email'], limit: 200, orderBy: { id: 'desc' } })).map(
    (c) => c.email,
  );
  const start = new Date('2011-01-01T00:00:00Z').getTime();
  for (let i = 0; i < 100; i++) await em().findOne(Customer, { email: emails[i % emails.length] as string }); // sign-in
  for (let i = 0; i < 40; i++) {
    const from = new Date(start + i * 7 * DAY_MS);
    await em().find(Invoice, { invoiceDate: { $gte: from, $lt: new Date(from.getTime() + DAY_MS) } }); // daily report
  }
  for (let i = 0; i < 30; i++) {
    const from = new Date(start + i * 11 * DAY_MS);
    await em().find(
      Invoice,
      { billingCountry: ['Germany', 'France', 'Brazil'][i % 3], invoiceDate: { $gte: from } },
      { orderBy: { invoiceDate: 'asc' }, limit: 20 },
    ); // a country's next invoices
  }
  for (let i = 0; i < 60; i++) {
    await em().find(Invoice, { customer: 1 + ((i * 97) % customers) }, { orderBy: { invoiceDate: 'desc' }, limit: 5 });
  }
  for (let i = 0; i < 60; i++) await em().find(InvoiceLine, { invoice: 1 + ((i * 31) % invoices) }); // invoice page
  for (let i = 0; i < 40; i++) {
    await em().find(Track, { album: 1 + (i % CHINOOK_COUNTS.albums) }, { orderBy: { name: 'asc' } }); // album page
  }
  for (const word of ['love', 'night', 'blue', 'fire', 'rock', 'girl', 'time', 'heart']) {
    await em().find(Track, { name: { $ilike: `%${word}%` } }, { limit: 50 }); // search box
  }
  const countries = ['USA', 'Canada', 'Brazil', 'France', 'Germany', 'United Kingdom'];
  for (let i = 0; i < 30; i++) {
    await em().find(
      Customer,
      { country: countries[i % countries.length] },
      { orderBy: { lastName: 'asc' }, limit: 20 },
    );
  }
  for (const prefix of ['Sch', 'Gon', 'Mar', 'Sm', 'Bro', 'Ha', 'Ki', 'Mu', 'Pe', 'Ro']) {
    await em().find(Customer, { lastName: { $like: `${prefix}%` } }, { limit: 20 }); // name prefix search
  }
  const cities = ['Berlin', 'Paris', 'Prague', 'São Paulo', 'London', 'Boston', 'Oslo', 'Lisbon'];
  for (let i = 0; i < 20; i++) {
    await em().find(
      Invoice,
      { billingCity: cities[i % cities.length] },
      { orderBy: { invoiceDate: 'desc' }, limit: 10 },
    );
  }
  for (let i = 0; i < 10; i++) {
    await em().find(Invoice, { total: { $gte: 15 + i } }, { orderBy: { total: 'desc' }, limit: 10 }); // biggest invoices
  }
  for (let i = 0; i < 12; i++) {
    const from = new Date(start + i * 30 * DAY_MS);
    await em().find(Invoice, {
      billingCountry: countries[i % countries.length],
      invoiceDate: { $gte: from, $lt: new Date(from.getTime() + 30 * DAY_MS) },
    }); // monthly country report
  }
  const composers = ['AC/DC', 'Jimi Hendrix', 'U2', 'Billy Corgan', 'Chico Buarque', 'Miles Davis'];
  for (let i = 0; i < 20; i++) await em().find(Track, { composer: composers[i % composers.length] }); // composer page
  for (let i = 0; i < 30; i++) await em().count(Invoice, { customer: 1 + ((i * 13) % customers) }); // order count
  for (let i = 0; i < 20; i++) await em().find(InvoiceLine, { track: 1 + ((i * 17) % CHINOOK_COUNTS.tracks) }); // who bought it

  // Writes: a profile edit, a checkout (an invoice and its line), a line removed.
  for (let i = 0; i < 10; i++) {
    const fork = em();
    const customer = await fork.findOneOrFail(Customer, 1 + i);
    customer.phone = `+1 555 01${i}`;
    await fork.flush();
  }
  for (let i = 0; i < 10; i++) {
    const fork = em();
    const invoice = fork.create(Invoice, {
      customer: 1 + i,
      invoiceDate: new Date(start + i * DAY_MS),
      billingCountry: 'USA',
      billingCity: 'Boston',
      billingAddress: null,
      billingState: null,
      billingPostalCode: null,
      total: 0.99,
    });
    fork.create(InvoiceLine, { invoice, track: 1 + i, unitPrice: 0.99, quantity: 1 });
    await fork.flush();
  }
  const added = await em().find(InvoiceLine, {}, { orderBy: { id: 'desc' }, limit: 5 });
  for (const line of added) await em().nativeDelete(InvoiceLine, { id: line.id });
}
