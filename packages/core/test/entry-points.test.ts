import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as internal from '../src/internal.js';

describe('@stratum/core entry points', () => {
  it('the main barrel holds what apps use: BaseRepository, onBulkWrite, the errors, the driver-error and metric helpers', () => {
    expect(Object.keys(main).sort()).toEqual([
      'BaseRepository',
      'CopyRowCountError',
      'InvalidArgumentError',
      'InvalidCursorError',
      'InvalidDecoratorError',
      'MissingDependencyError',
      'StratumError',
      'UnknownFieldError',
      'UnsupportedOperationError',
      'collectMetrics',
      'convertDriverError',
      'onBulkWrite',
      'registerMetric',
      'withDriverErrors',
    ]);
  });

  it("the sibling packages' helpers are on @stratum/core/internal only", () => {
    for (const name of ['defineDecorator', 'methodDecorator', 'runInBatch', 'currentOperation', 'runWithEagerLoad']) {
      expect(internal).toHaveProperty(name);
      expect(main).not.toHaveProperty(name);
    }
  });
});
