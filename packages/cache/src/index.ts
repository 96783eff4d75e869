export { Cache, type CacheOptions, type Invalidation, type WrapOptions } from './cache.js';
export { EPOCH_TAG_PREFIX } from './cache-epoch.js';
export type { CacheCounters, CacheStatsSnapshot } from './cache-stats.js';
export { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
export { Cached, type CachedOptions } from './decorators/cached.js';
export { InvalidatesCache, type InvalidatesCacheOptions } from './decorators/invalidates-cache.js';
export { hashOf, keyPart } from './decorators/key-template.js';
export { configureCache, defaultCache } from './default-cache.js';
export { CacheEpochError } from './errors/cache-epoch-error.js';
export { CacheKeyError } from './errors/cache-key-error.js';
export { CacheSetupError } from './errors/cache-setup-error.js';
export { CacheStoreTimeoutError } from './errors/cache-store-timeout-error.js';
export {
  CacheStoreUnavailableError,
  type CacheStoreUnavailableReason,
} from './errors/cache-store-unavailable-error.js';
export { CacheValueError, type CacheValueErrorDetails } from './errors/cache-value-error.js';
export { type EnableCacheOptions, enableCache } from './orm/enable-cache.js';
export { cacheOf } from './orm/orm-caches.js';
export { registerCacheMetrics } from './register-cache-metrics.js';
export { assertSerializable } from './serialization/assert-serializable.js';
export { DEFAULT_MAX_VALUE_BYTES, decodeValue, encodeValue } from './serialization/codec.js';
export type {
  CacheEntry,
  CacheRead,
  CacheReadOptions,
  CacheStore,
  CacheStoreStats,
  CacheWriteOptions,
} from './store/cache-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { RedisKeys, redisSlot } from './store/redis-keys.js';
export { DEFAULT_GENERATION_TTL_MS, RedisStore, type RedisStoreOptions } from './store/redis-store.js';
export {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_L1_TTL_MS,
  DEFAULT_MAX_STALENESS_MS,
  TieredStore,
  type TieredStoreOptions,
  type TieredStoreStats,
} from './store/tiered-store.js';
export { MAX_TTL_MS } from './ttl-ms.js';
