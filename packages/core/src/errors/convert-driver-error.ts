import { DriverException, type EntityManager } from '@mikro-orm/core';
import { StratumError } from './stratum-error.js';

/**
 * Turns an error the database driver threw into the exception MikroORM throws for the same failure
 * through `em.flush()`: the driver's `convertException`, i.e. the platform's `ExceptionConverter`
 * (`UniqueConstraintViolationException`, `ForeignKeyConstraintViolationException`,
 * `NotNullConstraintViolationException`, ..., else `DriverException`). The result keeps the driver's
 * fields (`code` is the SQL state on PostgreSQL, `SQLITE_CONSTRAINT_UNIQUE` and the like on SQLite) and
 * the driver's error as `cause`. A `DriverException`, a `StratumError` or anything that is not an
 * `Error` is returned as it is.
 *
 * @example
 * ```ts
 * try {
 *   await connection.execute('insert into genre (id, name) values (1, ?)', ['Rock']);
 * } catch (error) {
 *   throw convertDriverError(em, error); // UniqueConstraintViolationException, cause: the pg DatabaseError
 * }
 * ```
 */
export function convertDriverError(em: EntityManager, error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DriverException || error instanceof StratumError) {
    return error;
  }
  const converted = em.getDriver().convertException(error);
  if (converted !== error) {
    // DriverException copies the driver error's own fields but not the error itself.
    Object.defineProperty(converted, 'cause', { value: error, writable: true, configurable: true });
  }
  return converted;
}

/**
 * Runs `query` (one or more statements sent straight to the driver) and throws what it throws as
 * {@link convertDriverError} converts it, so a caller can catch MikroORM's exception classes.
 *
 * @example
 * ```ts
 * const rows = await withDriverErrors(em, () => qb.execute('all'));
 * ```
 */
export async function withDriverErrors<R>(em: EntityManager, query: () => R | PromiseLike<R>): Promise<Awaited<R>> {
  try {
    return await query();
  } catch (error) {
    throw convertDriverError(em, error);
  }
}
