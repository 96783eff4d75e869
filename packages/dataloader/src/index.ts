export { LoaderScopeError } from './errors/loader-scope-error.js';
export { keyHash, type LoaderKey } from './key-hash.js';
export {
  type CollectionItem,
  type CollectionProperty,
  Loaders,
  type LoadersOptions,
  loaders,
  type ParentKey,
} from './loaders.js';
