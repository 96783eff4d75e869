import { EntityRepositoryType, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { InvoiceLineRepository } from '../repositories/invoice-line-repository.js';
import { Invoice } from './invoice.js';
import { Track } from './track.js';

/** One line of an invoice: a track bought at a price (table `invoice_line`, FKs `invoice_id`, `track_id`). */
@Entity({ repository: () => InvoiceLineRepository })
export class InvoiceLine {
  [EntityRepositoryType]?: InvoiceLineRepository;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Invoice, { index: true })
  invoice!: Rel<Invoice>;

  @ManyToOne(() => Track, { index: true })
  track!: Rel<Track>;

  @Property({ type: 'decimal', precision: 10, scale: 2, runtimeType: 'number' })
  unitPrice!: number;

  @Property({ type: 'integer' })
  quantity!: number;
}
