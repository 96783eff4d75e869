import { Collection, EntityRepositoryType, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { CustomerRepository } from '../repositories/customer-repository.js';
import { Employee } from './employee.js';
import { Invoice } from './invoice.js';

/** A customer (table `customer`, FK `support_rep_id` → `employee`). */
@Entity({ repository: () => CustomerRepository })
export class Customer {
  [EntityRepositoryType]?: CustomerRepository;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 40 })
  firstName!: string;

  @Property({ type: 'string', length: 20 })
  lastName!: string;

  @Property({ type: 'string', length: 80, nullable: true })
  company!: string | null;

  @Property({ type: 'string', length: 70, nullable: true })
  address!: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  city!: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  state!: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  country!: string | null;

  @Property({ type: 'string', length: 10, nullable: true })
  postalCode!: string | null;

  @Property({ type: 'string', length: 24, nullable: true })
  phone!: string | null;

  @Property({ type: 'string', length: 24, nullable: true })
  fax!: string | null;

  @Property({ type: 'string', length: 60 })
  email!: string;

  @ManyToOne(() => Employee, { nullable: true, index: true })
  supportRep!: Rel<Employee> | null;

  @OneToMany(
    () => Invoice,
    (invoice) => invoice.customer,
  )
  invoices = new Collection<Invoice>(this);
}
