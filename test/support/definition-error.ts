import { StratumError } from '@stratum/core';
import { expect } from 'vitest';

/**
 * The typed error that defining a class (or calling a decorator factory) throws: for the misuse
 * tests of Stratum's decorators, which must fail when the class is defined, not when it is used.
 * Fails the test when `define` throws something that is not a `StratumError`, or nothing.
 *
 * @example
 * ```ts
 * const error = definitionError(() => {
 *   class Report {
 *     @Timed() get total() { return 1; }
 *   }
 *   return Report;
 * });
 * expect(error.code).toBe('E_INVALID_DECORATOR');
 * ```
 */
export function definitionError(define: () => unknown): StratumError {
  try {
    define();
  } catch (error) {
    expect(error).toBeInstanceOf(StratumError);
    return error as StratumError;
  }
  throw new Error('no error at class definition');
}
