import { BaseRepository } from '@stratum/core';
import type { Customer } from '../entities/customer.js';

/**
 * Repository of {@link Customer}. Customers: each served by a support representative (an `Employee`).
 *
 * @example
 * const repo = em.getRepository(Customer); // typed as CustomerRepository
 */
export class CustomerRepository extends BaseRepository<Customer> {}
