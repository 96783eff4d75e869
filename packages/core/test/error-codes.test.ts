import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CopyRowCountError,
  InvalidArgumentError,
  InvalidCursorError,
  InvalidDecoratorError,
  MissingDependencyError,
  StratumError,
  UnknownFieldError,
  UnsupportedOperationError,
} from '../src/index.js';

describe('StratumError codes', () => {
  it('puts the class code on every instance, typed as that literal so a switch is checked', () => {
    const errors = [
      new InvalidArgumentError('page', 'a positive integer', 0),
      new InvalidCursorError('after', 'x', 'not a cursor encoding'),
      new InvalidDecoratorError('@Timed()', 'a method', 'the getter Report.total'),
      new UnknownFieldError('Track', 'colour', 'orderBy', ['id']),
      new UnsupportedOperationError('no'),
      new CopyRowCountError('"invoice_line"', 2999, 3000),
      new MissingDependencyError('pg-copy-streams', 'insertMany() COPY'),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(StratumError);
      expect(error.code).toBe((error.constructor as typeof StratumError).code);
      expect(error.name).toBe(error.constructor.name);
    }
    expectTypeOf(errors[1]!.code).toEqualTypeOf<
      | 'E_INVALID_ARGUMENT'
      | 'E_INVALID_CURSOR'
      | 'E_INVALID_DECORATOR'
      | 'E_UNKNOWN_FIELD'
      | 'E_UNSUPPORTED_OPERATION'
      | 'E_COPY_ROW_COUNT'
      | 'E_MISSING_DEPENDENCY'
    >();
    expectTypeOf(new CopyRowCountError('"t"', 1, 2).code).toEqualTypeOf<'E_COPY_ROW_COUNT'>();
    expectTypeOf(new InvalidCursorError('after', 'x', 'r').code).toEqualTypeOf<'E_INVALID_CURSOR'>();
    expectTypeOf(InvalidCursorError.code).toEqualTypeOf<'E_INVALID_CURSOR'>();
    expectTypeOf(new StratumError('plain').code).toEqualTypeOf<string>();
  });

  it('lets a switch over a caught error narrow by code', () => {
    const describe = (error: InvalidArgumentError | InvalidCursorError): string => {
      switch (error.code) {
        case 'E_INVALID_ARGUMENT':
          return `argument ${error.argument}`;
        case 'E_INVALID_CURSOR':
          return 'cursor';
      }
    };
    expect(describe(new InvalidArgumentError('page', 'a positive integer', 0))).toBe('argument page');
    expect(describe(new InvalidCursorError('after', 'x', 'r'))).toBe('cursor');
  });
});
