import { Collection, DateTimeType, EntityRepositoryType, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { InvoiceRepository } from '../repositories/invoice-repository.js';
import { Customer } from './customer.js';
import { InvoiceLine } from './invoice-line.js';

/** An invoice of a customer (table `invoice`, FK `customer_id`); `total` is the sum of its lines. */
@Entity({ repository: () => InvoiceRepository })
export class Invoice {
  [EntityRepositoryType]?: InvoiceRepository;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Customer, { index: true })
  customer!: Rel<Customer>;

  @Property({ type: DateTimeType })
  invoiceDate!: Date;

  @Property({ type: 'string', length: 70, nullable: true })
  billingAddress!: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  billingCity!: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  billingState!: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  billingCountry!: string | null;

  @Property({ type: 'string', length: 10, nullable: true })
  billingPostalCode!: string | null;

  @Property({ type: 'decimal', precision: 10, scale: 2, runtimeType: 'number' })
  total!: number;

  @OneToMany(
    () => InvoiceLine,
    (line) => line.invoice,
  )
  lines = new Collection<InvoiceLine>(this);
}
