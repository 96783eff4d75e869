// The shared test harness. Import it from any test file, e.g. from packages/<name>/test:
//   import { describeEachDriver, describeWithRedis, useRedisPrefix } from '../../../test/harness/index.js';
export {
  type DescribeEachDriverOptions,
  type DriverContext,
  type DriverName,
  type DriverOptions,
  describeEachDriver,
  removeSqliteFile,
  useSqliteFile,
} from './describe-each-driver.js';
export { describeWithPostgres, describeWithRedis, describeWithService } from './describe-with-service.js';
export { getService, providedService } from './get-service.js';
export { type Env, isCi } from './is-ci.js';
export { PROVIDED_SERVICES_KEY, type ProvidedServices } from './provided-services.js';
export {
  LOCAL_SERVICE_URLS,
  probeService,
  type ResolveServiceOptions,
  resolveService,
  SERVICE_URL_ENV,
  stopServiceContainers,
} from './resolve-service.js';
export {
  SERVICE_LABELS,
  type ServiceKind,
  type ServiceMode,
  type ServiceSource,
  type ServiceStatus,
  ServiceUnavailableError,
  serviceMode,
} from './service-mode.js';
export {
  type RedisCluster,
  type RedisClusterNode,
  type StartRedisClusterOptions,
  startRedisCluster,
  useRedisCluster,
} from './start-redis-cluster.js';
export {
  pingRedis,
  type RedisServer,
  type StartRedisServerOptions,
  startRedisServer,
  useRedisServer,
} from './start-redis-server.js';
export {
  createPostgresDatabase,
  dropPostgresDatabase,
  type PostgresDatabase,
  TEST_DATABASE_PREFIX,
  usePostgresDatabase,
} from './use-postgres-database.js';
export {
  createRedisPrefix,
  deleteRedisKeys,
  type RedisPrefix,
  TEST_KEY_PREFIX,
  useRedisPrefix,
} from './use-redis-prefix.js';
