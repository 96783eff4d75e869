import { BaseRepository } from '@stratum/core';
import type { Invoice } from '../entities/invoice.js';

/**
 * Repository of {@link Invoice}. Invoices: one per purchase, with their lines and customer.
 *
 * @example
 * const repo = em.getRepository(Invoice); // typed as InvoiceRepository
 */
export class InvoiceRepository extends BaseRepository<Invoice> {}
