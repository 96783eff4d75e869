import { Collection, DateTimeType, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Customer } from './customer.js';

/**
 * An employee (table `employee`). `reportsTo` is a nullable self-reference (FK `reports_to_id`);
 * sales support agents are the `supportRep` of customers.
 */
@Entity()
export class Employee {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 20 })
  lastName!: string;

  @Property({ type: 'string', length: 20 })
  firstName!: string;

  @Property({ type: 'string', length: 30, nullable: true })
  title!: string | null;

  @ManyToOne(() => Employee, { nullable: true, index: true })
  reportsTo!: Rel<Employee> | null;

  @OneToMany(
    () => Employee,
    (employee) => employee.reportsTo,
  )
  reports = new Collection<Employee>(this);

  @Property({ type: DateTimeType, nullable: true })
  birthDate!: Date | null;

  @Property({ type: DateTimeType, nullable: true })
  hireDate!: Date | null;

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

  @Property({ type: 'string', length: 60, nullable: true })
  email!: string | null;

  @OneToMany(
    () => Customer,
    (customer) => customer.supportRep,
  )
  customers = new Collection<Customer>(this);
}
