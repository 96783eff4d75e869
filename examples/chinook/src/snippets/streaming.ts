import type { SqlEntityManager } from '@mikro-orm/sql';
import { InvoiceLine } from '../entities/index.js';

/** docs/base-repository.md, "Streaming". */
export async function streaming(em: SqlEntityManager) {
  // #region doc
  // Keyset batches of 2000 rows; the entities are detached (never in the identity map), so memory
  // stays flat: 224 000 scaled invoice lines stream in well under 50 MB of heap.
  let lines = 0;
  let revenue = 0;
  for await (const line of em.getRepository(InvoiceLine).stream({ quantity: { $gte: 1 } }, { batchSize: 2000 })) {
    lines++;
    revenue += line.unitPrice * line.quantity;
  }
  // #endregion doc
  return { lines, revenue };
}
