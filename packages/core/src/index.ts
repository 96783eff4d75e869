export type { AggregateMetric, AggregateOptions, AggregateRow } from './aggregate-metric.js';
export { BaseRepository, type FindPageOptions, type KeysetStreamOptions } from './base-repository.js';
export {
  type BatchCallerTracer,
  currentBatch,
  runInBatch,
  type StratumBatch,
  setBatchCallerTracer,
  traceBatchCaller,
} from './batch-context.js';
export type { BulkInsertOptions, BulkOptions, BulkUpsertOptions } from './bulk/bulk-rows.js';
export { type BulkWriteEvent, type BulkWriteListener, onBulkWrite } from './bulk-write-event.js';
export {
  classNameOf,
  type DecoratorContextLike,
  describeDecoratorTarget,
  isDecoratorContext,
  isGeneratorFunction,
  legacyMethodDescriptor,
  memberName,
} from './decorators/decorator-target.js';
export { type DecoratorSpec, defineDecorator } from './decorators/define-decorator.js';
export {
  type AnyMethod,
  type DecoratedMember,
  type DualMethodDecorator,
  methodDecorator,
  parameterNames,
} from './decorators/method-decorator.js';
export {
  type ActiveEagerLoad,
  assertEagerLoadPaths,
  assertPopulatePaths,
  currentEagerLoad,
  EAGER_LOAD_DEFAULT,
  EAGER_LOAD_STRATEGIES,
  type EagerLoadSpec,
  type EagerLoadStrategy,
  eagerLoadDefault,
  mergeEagerLoad,
  runWithEagerLoad,
} from './eager-load-context.js';
export { convertDriverError, withDriverErrors } from './errors/convert-driver-error.js';
export { CopyRowCountError } from './errors/copy-row-count-error.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { InvalidCursorError } from './errors/invalid-cursor-error.js';
export { InvalidDecoratorError } from './errors/invalid-decorator-error.js';
export { MissingDependencyError } from './errors/missing-dependency-error.js';
export { StratumError } from './errors/stratum-error.js';
export { UnknownFieldError } from './errors/unknown-field-error.js';
export { UnsupportedOperationError } from './errors/unsupported-operation-error.js';
export { collectMetrics, type MetricValue, registerMetric } from './metrics-registry.js';
export { currentOperation, runInOperation, type StratumOperation } from './operation-context.js';
export type { Page } from './pagination/page.js';
