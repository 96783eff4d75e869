import type { SqlEntityManager } from '@mikro-orm/sql';
import { Invoice, Track } from '../entities/index.js';

/** docs/base-repository.md, "Counting and aggregating". */
export async function aggregates(em: SqlEntityManager) {
  // #region doc
  // Rows per value of a field, one grouped query.
  const perGenre = await em.getRepository(Track).countBy('genre'); // { '1': 1297, '7': 579, ... }

  // Several questions, one query: how many invoices, how many big ones' worth, how much in all.
  const [overall] = await em.getRepository(Invoice).aggregate({
    metrics: { invoices: { count: '*' }, customers: { countDistinct: 'customer' }, revenue: { sum: 'total' } },
  });

  // ... or per group.
  const perCountry = await em.getRepository(Invoice).aggregate({
    where: { invoiceDate: { $gte: new Date('2022-01-01') } },
    groupBy: 'billingCountry',
    metrics: { invoices: { count: '*' }, revenue: { sum: 'total' }, biggest: { max: 'total' } },
  });
  // #endregion doc
  return { perGenre, overall, perCountry };
}
