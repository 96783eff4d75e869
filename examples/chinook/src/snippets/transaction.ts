import type { SqlEntityManager } from '@mikro-orm/sql';
import { Invoice, InvoiceLine } from '../entities/index.js';

/** docs/base-repository.md, "All or nothing". */
export async function transaction(em: SqlEntityManager) {
  // #region doc
  // Inside em.transactional(), bulk writes join the transaction: they commit or roll back with it.
  const failed = await em
    .transactional(async (trx) => {
      const invoice = trx.create(Invoice, { customer: 1, invoiceDate: new Date('2026-01-01'), total: 1.98 });
      await trx.flush();
      await trx.getRepository(InvoiceLine).insertMany([
        { invoice, track: 1, unitPrice: 0.99, quantity: 1 },
        { invoice, track: 2, unitPrice: 0.99, quantity: 1 },
      ]);
      throw new Error('payment declined');
    })
    .catch((error: Error) => error.message);
  // failed === 'payment declined': neither the invoice nor its lines were written.
  // #endregion doc
  return { failed };
}
