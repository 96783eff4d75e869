import type { SqlEntityManager } from '@mikro-orm/sql';
import { InvoiceLine, Track } from '../entities/index.js';

/** docs/base-repository.md, "Bulk writes". */
export async function bulk(em: SqlEntityManager) {
  // #region doc
  const lines = em.getRepository(InvoiceLine);

  // Insert: one multi-row statement per chunk, bound parameters, one transaction; ids in input order.
  const rows = Array.from({ length: 10_000 }, (_, i) => ({
    invoice: (i % 412) + 1, // relations as primary keys, entities or references
    track: (i % 3503) + 1,
    unitPrice: 0.99,
    quantity: 1,
  }));
  const ids = await lines.insertMany(rows, { chunkSize: 5000 });

  // Upsert: insert, or update the row that collides on `onConflict`. Returns managed entities.
  const [upserted] = await lines.upsertMany([{ id: ids[0], invoice: 1, track: 1, unitPrice: 1.99, quantity: 3 }], {
    onConflict: ['id'],
    merge: ['unitPrice', 'quantity'],
  });

  // Update: the same values for a list of ids, or each row its own values.
  const repriced = await lines.updateMany(ids.slice(0, 100), { unitPrice: 0.89 });
  const renamed = await em.getRepository(Track).updateMany([
    { id: 1, name: 'For Those About To Rock (We Salute You)' },
    { id: 2, name: 'Balls to the Wall' },
  ]);

  // Delete: by ids (chunked) or by filter (one statement).
  const deleted = await lines.deleteMany(ids);
  // #endregion doc
  return { ids, upserted, repriced, renamed, deleted };
}
