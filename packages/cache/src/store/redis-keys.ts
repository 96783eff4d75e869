import { crc32 } from 'node:zlib';

/**
 * The Redis key layout of one {@link RedisStore} namespace. Every key starts with `<namespace>:` and its
 * first `{...}` is its Redis Cluster hash tag:
 *
 * | what                  | Redis key                          | hash tag (slot)                |
 * | --------------------- | ---------------------------------- | ------------------------------ |
 * | entry of `key`        | `<ns>:{<h>}:e:<key>`               | `<h>` = crc32(key), 8 hex chars |
 * | generation of `key`   | `<ns>:{<h>}:g:<key>`               | the same `<h>`: same slot       |
 * | stampede lock of `key`| `<ns>:{<h>}:l:<key>`               | the same `<h>`: same slot       |
 * | version of `tag`      | `<ns>:{<ns>}:t:<tag>`              | `<ns>`: all tags in one slot    |
 *
 * An entry and its generation share a slot (one MGET, one Lua script reads and writes both); the
 * tag versions of a namespace share a slot (one MGET); the entries of a namespace spread over every
 * slot (and so every master). The tag is a hash of the key rather than the key itself so that any key
 * works — empty, or containing `{` or `}` — and the namespace may not contain braces, so the first
 * `{` always opens the store's own tag and `<ns>:` can never be confused with another namespace.
 *
 * @example
 * ```ts
 * const keys = new RedisKeys('app');
 * keys.entry('users:42'); // 'app:{a4b26a2e}:e:users:42'
 * keys.generation('users:42'); // 'app:{a4b26a2e}:g:users:42'
 * keys.lock('users:42'); // 'app:{a4b26a2e}:l:users:42'
 * keys.tag('users'); // 'app:{app}:t:users'
 * ```
 */
export class RedisKeys {
  readonly namespace: string;
  readonly #entryPrefix: string;

  constructor(namespace: string) {
    this.namespace = namespace;
    this.#entryPrefix = `${namespace}:{`;
  }

  /** The Redis key of the entry of `key`. */
  entry(key: string): string {
    return `${this.#entryPrefix}${slotTag(key)}}:e:${key}`;
  }

  /** The Redis key of the generation of `key` (same slot as its entry). */
  generation(key: string): string {
    return `${this.#entryPrefix}${slotTag(key)}}:g:${key}`;
  }

  /**
   * The Redis keys of the entry and of the generation of `key` (what {@link entry} and
   * {@link generation} return), hashing `key` once: the read of every hit needs both.
   *
   * @example
   * ```ts
   * new RedisKeys('app').entryAndGeneration('users:42'); // ['app:{a4b26a2e}:e:users:42', 'app:{a4b26a2e}:g:users:42']
   * ```
   */
  entryAndGeneration(key: string): [entry: string, generation: string] {
    const head = `${this.#entryPrefix}${slotTag(key)}}:`;
    return [`${head}e:${key}`, `${head}g:${key}`];
  }

  /**
   * The Redis key of the stampede lock of `key` (same slot as its entry, never matched by
   * {@link entryPattern}: SCANs for entries do not see locks).
   */
  lock(key: string): string {
    return `${this.#entryPrefix}${slotTag(key)}}:l:${key}`;
  }

  /** The Redis key of the version of `tag` (one slot for all tags of the namespace). */
  tag(tag: string): string {
    return `${this.#entryPrefix}${this.namespace}}:t:${tag}`;
  }

  /**
   * The SCAN MATCH pattern of the entry keys whose cache key matches `glob` (`*`, `?`; every other
   * character literal). Redis glob specials of the namespace and of the literal parts of `glob` are
   * escaped, so neither can widen the match. `?` is sent as `*` (Redis matches bytes, a cache key's
   * character may be several): filter the keys found with {@link globToRegExp}.
   */
  entryPattern(glob: string, keyPrefix = ''): string {
    let pattern = '';
    for (const char of glob) pattern += char === '*' || char === '?' ? '*' : escapeRedisGlob(char);
    return `${escapeRedisGlob(keyPrefix + this.namespace)}:{????????}:e:${pattern}`;
  }

  /** The cache key of an entry key found by SCAN (`undefined` when it is not one of this namespace's entries). */
  keyOfEntry(redisKey: string, keyPrefix = ''): string | undefined {
    const head = keyPrefix + this.#entryPrefix;
    if (!redisKey.startsWith(head)) return undefined;
    const rest = redisKey.slice(head.length);
    // 8 hex chars, '}', ':e:'
    if (rest.length < 12 || rest.slice(8, 12) !== '}:e:') return undefined;
    const key = rest.slice(12);
    return slotTag(key) === rest.slice(0, 8) ? key : undefined;
  }
}

/** The hash tag of `key`: its CRC-32 as 8 lower-case hex characters (never contains `{`/`}`). */
function slotTag(key: string): string {
  return crc32(key).toString(16).padStart(8, '0');
}

/**
 * Escapes the Redis glob specials (`*`, `?`, `[`, `]`, `\`) of `text`, so it matches only itself.
 *
 * @example
 * ```ts
 * escapeRedisGlob('a*[b]'); // 'a\\*\\[b\\]'
 * ```
 */
export function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/**
 * The RegExp of a cache-key glob: `*` any run of characters, `?` exactly one character, anything else
 * literal; anchored at both ends.
 *
 * @example
 * ```ts
 * globToRegExp('users:*').test('users:42'); // true
 * globToRegExp('user?').test('users:42'); // false
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, (special) => `\\${special}`);
  }
  return new RegExp(`^${source}$`, 'su');
}

/**
 * The Redis Cluster slot (0..16383) of a Redis key: CRC16 (XMODEM) of its hash tag (the text between
 * the first `{` and the next `}`, if non-empty) or of the whole key, modulo 16384.
 *
 * @example
 * ```ts
 * redisSlot('foo'); // 12182
 * redisSlot('app:{a4b26a2e}:e:a') === redisSlot('app:{a4b26a2e}:g:a'); // true
 * ```
 */
export function redisSlot(redisKey: string): number {
  const bytes = Buffer.from(redisKey, 'utf8');
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  return crc & 0x3fff;
}

const CRC16_TABLE: readonly number[] = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});
