export type {
  CacheEntry,
  CacheRead,
  CacheStore,
  CacheStoreStats,
  CacheWriteOptions,
} from './store/cache-store.js';
