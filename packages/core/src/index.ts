export {
  type AggregateMetric,
  type AggregateOptions,
  type AggregateRow,
  BaseRepository,
  type BulkOptions,
  type BulkUpsertOptions,
  type FindPageOptions,
  type KeysetStreamOptions,
} from './base-repository.js';
export { type BulkWriteEvent, type BulkWriteListener, onBulkWrite } from './bulk-write-event.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { InvalidCursorError } from './errors/invalid-cursor-error.js';
export { StratumError } from './errors/stratum-error.js';
export { UnknownFieldError } from './errors/unknown-field-error.js';
export { UnsupportedOperationError } from './errors/unsupported-operation-error.js';
export { currentOperation, runInOperation, type StratumOperation } from './operation-context.js';
export type { Page } from './pagination/page.js';
