import { BaseRepository } from '@stratum/core';
import type { InvoiceLine } from '../entities/invoice-line.js';

/**
 * Repository of {@link InvoiceLine}. Invoice lines: the fact table (2240 rows at scale 1, ×scale when seeded with synthetic rows).
 *
 * @example
 * const repo = em.getRepository(InvoiceLine); // typed as InvoiceLineRepository
 */
export class InvoiceLineRepository extends BaseRepository<InvoiceLine> {}
