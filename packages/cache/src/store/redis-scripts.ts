import type { Cluster, Redis } from 'ioredis';

/**
 * Compare-and-set of an entry against its key's generation, atomically (one Lua script, both keys in
 * one slot). KEYS: entry, generation. ARGV: encoded entry, expected generation, PX in ms (`''`: no
 * expiry). Returns 1 if written, 0 if the generation moved on (the key was invalidated since the
 * reader's `get`). A missing generation key is generation 0.
 */
export const SET_IF_GENERATION_LUA = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if current ~= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
return 1
`;

/**
 * Invalidation of one key, atomically: drops the entry, bumps the generation and (re)sets the
 * generation's TTL. KEYS: entry, generation. ARGV: generation TTL in ms. Returns 1 if there was an
 * entry, else 0.
 */
export const INVALIDATE_LUA = `
local existed = redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return existed
`;

/**
 * Release of a stampede lock, atomically: deletes it only if it still holds the caller's token (a
 * holder whose lock expired and was taken by another must not release the other's). KEYS: lock.
 * ARGV: token. Returns 1 if released, else 0.
 */
export const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** The name under which {@link defineRedisScripts} registers {@link SET_IF_GENERATION_LUA}. */
export const SET_IF_GENERATION_COMMAND = 'stratumCacheSetIfGeneration';
/** The name under which {@link defineRedisScripts} registers {@link INVALIDATE_LUA}. */
export const INVALIDATE_COMMAND = 'stratumCacheInvalidate';
/** The name under which {@link defineRedisScripts} registers {@link UNLOCK_LUA}. */
export const UNLOCK_COMMAND = 'stratumCacheUnlock';

/** The commands {@link defineRedisScripts} adds to a client (and to its pipelines). */
export interface RedisScriptCommands {
  [SET_IF_GENERATION_COMMAND](
    entryKey: string,
    generationKey: string,
    value: Buffer,
    ifGeneration: string,
    px: string,
  ): Promise<number>;
  [INVALIDATE_COMMAND](entryKey: string, generationKey: string, generationTtlMs: string): Promise<number>;
  [UNLOCK_COMMAND](lockKey: string, token: string): Promise<number>;
}

/**
 * Registers the store's Lua scripts on `client` with ioredis's `defineCommand` (EVALSHA, falling back
 * to EVAL on NOSCRIPT; available on the client and its pipelines, on every Cluster node). Idempotent:
 * several stores may share one client.
 *
 * @example
 * ```ts
 * const scripted = defineRedisScripts(new Redis());
 * await scripted.stratumCacheInvalidate('app:{1f0a9c3e}:e:a', 'app:{1f0a9c3e}:g:a', '86400000');
 * ```
 */
export function defineRedisScripts<C extends Redis | Cluster>(client: C): C & RedisScriptCommands {
  const scripted = client as C & Partial<RedisScriptCommands>;
  if (typeof scripted[SET_IF_GENERATION_COMMAND] !== 'function') {
    client.defineCommand(SET_IF_GENERATION_COMMAND, { numberOfKeys: 2, lua: SET_IF_GENERATION_LUA });
  }
  if (typeof scripted[INVALIDATE_COMMAND] !== 'function') {
    client.defineCommand(INVALIDATE_COMMAND, { numberOfKeys: 2, lua: INVALIDATE_LUA });
  }
  if (typeof scripted[UNLOCK_COMMAND] !== 'function') {
    client.defineCommand(UNLOCK_COMMAND, { numberOfKeys: 1, lua: UNLOCK_LUA });
  }
  return client as C & RedisScriptCommands;
}
