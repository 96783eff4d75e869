// The workload of an app over Chinook, run through MikroORM: what the indexer's Chinook test and the
// `indexer` benchmark record with @stratum/profiler and hand to the advisor.
import type { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Customer, Invoice, InvoiceLine, Track } from '../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS } from '../../examples/chinook/src/seeder.js';

const DAY_MS = 86_400_000;

/**
 * Runs the app's read and write shapes with how often each runs (sign-in by email 100×, a daily
 * invoice report 40×, a country's next invoices 30×, a customer's recent invoices 60×, the lines of an
 * invoice 60×, an album's tracks by name 40×, a track search 8×, a profile edit 10×), parameters varying
 * per call, on Chinook seeded at `scale`.
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
  for (let i = 0; i < 10; i++) {
    const fork = em();
    const customer = await fork.findOneOrFail(Customer, 1 + i);
    customer.phone = `+1 555 01${i}`;
    await fork.flush(); // profile edit
  }
}
