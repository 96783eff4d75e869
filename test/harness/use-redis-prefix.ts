import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { getService } from './get-service.js';
import { ServiceUnavailableError } from './service-mode.js';

/** A Redis server and the key prefix a test file owns on it. */
export interface RedisPrefix {
  readonly url: string;
  /** `stratum:t:<random>:`; every key the file writes must start with it. */
  readonly prefix: string;
}

/** Start of every prefix the harness hands out. */
export const TEST_KEY_PREFIX = 'stratum:t:';

/**
 * A fresh key prefix `stratum:t:<random>:` on the harness's Redis (or `url`). Nothing is created on
 * the server; delete the keys afterwards with {@link deleteRedisKeys} (or use {@link useRedisPrefix}).
 *
 * @example
 * const { url, prefix } = await createRedisPrefix();
 * await new Redis(url).set(`${prefix}answer`, '42');
 */
export async function createRedisPrefix(url?: string): Promise<RedisPrefix> {
  return { url: url ?? (await requireRedisUrl()), prefix: `${TEST_KEY_PREFIX}${randomBytes(6).toString('hex')}:` };
}

/**
 * Deletes every key that starts with `prefix` (SCAN ... MATCH + UNLINK) and returns how many it
 * deleted. Keys outside the prefix are untouched. Refuses prefixes outside `stratum:t:`.
 *
 * @example
 * const deleted = await deleteRedisKeys(url, 'stratum:t:1a2b3c4d5e6f:');
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  if (!prefix.startsWith(TEST_KEY_PREFIX) || prefix.length <= TEST_KEY_PREFIX.length) {
    throw new Error(`refusing to delete keys under "${prefix}": not a harness prefix (${TEST_KEY_PREFIX}*)`);
  }
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const pattern = `${escapeGlob(prefix)}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/**
 * Registers `beforeAll`/`afterAll` in the current suite: a fresh key prefix before, and all its keys
 * deleted after. Call while collecting, inside `describeWithRedis` (skip/CI-fail rule); the handle's
 * fields are readable from hooks and tests.
 *
 * @example
 * describeWithRedis('cache', () => {
 *   const redis = useRedisPrefix();
 *   it('writes under the prefix', async () => {
 *     const client = new Redis(redis.url, { keyPrefix: redis.prefix });
 *     await client.set('k', 'v');
 *     client.disconnect();
 *   });
 * });
 */
export function useRedisPrefix(): RedisPrefix {
  let current: RedisPrefix | undefined;
  beforeAll(async () => {
    current = await createRedisPrefix();
  });
  afterAll(async () => {
    const owned = current;
    current = undefined;
    if (owned) await deleteRedisKeys(owned.url, owned.prefix);
  });
  const get = (): RedisPrefix => {
    if (!current) throw new Error('useRedisPrefix(): the prefix exists only inside hooks and tests');
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get prefix() {
      return get().prefix;
    },
  };
}

async function requireRedisUrl(): Promise<string> {
  const status = await getService('redis');
  if (!status.available) throw new ServiceUnavailableError('redis', status.reason);
  return status.url;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
