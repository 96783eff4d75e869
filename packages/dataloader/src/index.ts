export type { EagerLoadStrategy } from '@stratum/core/internal';
export { BatchResultError } from './batched/batch-result-error.js';
export { Batched, type BatchedDecorator } from './batched/batched.js';
export type { BatchedOptions } from './batched/batched-options.js';
export { type CheckedEagerLoad, checkEagerLoads } from './eager-load/check-eager-loads.js';
export {
  EagerLoad,
  type EagerLoadDeclaration,
  type EagerLoadDecorator,
  type EagerLoadOptions,
  eagerLoadOf,
} from './eager-load/eager-load.js';
export type { EagerLoaded, EagerLoadReturnError, FailsWith, RepositoryEntity } from './eager-load/eager-loaded.js';
export { LoaderScopeError } from './errors/loader-scope-error.js';
export { RelationMappingError } from './errors/relation-mapping-error.js';
export { keyHash, type LoaderKey } from './key-hash.js';
export { type LoaderForOptions, loaderFor } from './loader-for.js';
export {
  type CollectionItem,
  type CollectionProperty,
  Loaders,
  type LoadersOptions,
  loaders,
  type ParentKey,
} from './loaders.js';
