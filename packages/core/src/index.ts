// What apps use. Names shared only between Stratum's own packages live in `./internal.ts`
// (`@stratum/core/internal`, not semver-stable).
export type { AggregateMetric, AggregateOptions, AggregateRow } from './aggregate-metric.js';
export { BaseRepository, type FindPageOptions, type KeysetStreamOptions } from './base-repository.js';
export type { BulkInsertOptions, BulkOptions, BulkUpsertOptions } from './bulk/bulk-rows.js';
export { type BulkWriteEvent, type BulkWriteListener, onBulkWrite } from './bulk-write-event.js';
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
export type { Page } from './pagination/page.js';
