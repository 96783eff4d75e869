import { InvalidArgumentError } from '@stratum/core';
import { type AnyMethod, type DualMethodDecorator, methodDecorator, parameterNames } from '@stratum/core/internal';
import type { Cache } from '../cache.js';
import { defaultCache } from '../default-cache.js';
import { fromCacheable, toCacheable } from '../orm/entity-snapshot.js';
import { cacheOf } from '../orm/orm-caches.js';
import { entityManagerOf, filterKeyOf, repositoryEntityOf, schemaHash } from '../orm/orm-context.js';
import { MAX_TTL_MS, ttlMs } from '../ttl-ms.js';
import { compileKeyTemplate, hashOf, type KeyTemplate } from './key-template.js';

/** Options of {@link Cached}. */
export interface CachedOptions<R = unknown> {
  /**
   * The key, with `{param}` / `{param.path}` placeholders.
   * @default `Class.method:<hash of the arguments>`
   */
  key?: string;
  /**
   * How long a value is fresh, in ms: from 1 to {@link MAX_TTL_MS} (fractions are rounded up to whole
   * ms). Named without the `Ms` suffix every other duration option has (`WrapOptions.ttlMs`), as
   * released: it is milliseconds too.
   * @default the cache's `defaultTtlMs`
   */
  ttl?: number;
  /** Tags (templates too): invalidating one invalidates the entry. */
  tags?: readonly string[];
  /** After `ttl`, how long the old value may be served while one refresh runs, in ms (1 to {@link MAX_TTL_MS}, with `ttl`). */
  staleWhileRevalidate?: number;
  /** Cache a result only when this says so (e.g. `(track) => track !== null`). */
  condition?: (result: Awaited<R>) => boolean;
  /**
   * The cache to use.
   * @default the ORM's (`enableCache`) on a repository, else {@link defaultCache}
   */
  cache?: Cache;
}

const OPTION_KEYS = new Set(['key', 'ttl', 'tags', 'staleWhileRevalidate', 'condition', 'cache']);

interface Envelope {
  /** The schema hash of the ORM whose entities the value holds (`''` without an ORM). */
  readonly s: string;
  /** The value, entities replaced by snapshots. */
  readonly v: unknown;
  /** How many entity snapshots `v` holds (0: a hit returns `v` as the store handed it, a private copy). */
  readonly n: number;
}

/**
 * Caches what a method returns (sync or async; the decorated method becomes async), keyed by
 * `key` rendered from the call's arguments. Legacy and TC39 decorators.
 *
 * - Placeholders name parameters (`{id}`) or paths into them (`{filter.genreId}`); one that names no
 *   parameter throws `CacheKeyError` when the class is defined. Values can never widen a key: `:`,
 *   `*`, `?`, `[`, `]`, `{`, `}`, `|` and `%` in them are percent-encoded.
 * - On a MikroORM repository: inside a transaction the cache is bypassed (neither read nor written);
 *   the values of the MikroORM filters active for the repository's entity (a tenant, soft delete) are
 *   part of the key; entities are cached as data and, on a hit, merged into the caller's
 *   EntityManager — managed, usable, and NOT dirty (a flush right after a hit sends nothing); an entry
 *   written by another entity schema (a previous deploy) is never merged: it is reloaded.
 * - On any other class (a service), values are cached as they are (entities as plain data).
 *
 * @example
 * ```ts
 * class TrackRepository extends BaseRepository<Track> {
 *   @Cached({ key: 'track:{id}', ttl: 60_000, tags: ['track:{id}'] })
 *   findCached(id: number) {
 *     return this.findOne(id);
 *   }
 * }
 * ```
 */
export function Cached<R = unknown>(options: CachedOptions<R> = {}): DualMethodDecorator {
  const label = '@Cached()';
  validate(label, options);
  return methodDecorator(label, (method, member) => {
    const params = parameterNames(method as never);
    const where = `@Cached on ${member.className ?? '(class)'}.${member.name}`;
    const key = options.key === undefined ? undefined : compileKeyTemplate(options.key, params, where, false);
    const tags = (options.tags ?? []).map((tag) => compileKeyTemplate(tag, params, `${where} (tags)`, false));
    return cachedMethod(method, member.name, key, tags, options);
  });
}

function cachedMethod(
  method: AnyMethod,
  name: string,
  key: KeyTemplate | undefined,
  tags: readonly KeyTemplate[],
  options: CachedOptions<any>,
): AnyMethod {
  // Options that do not depend on the call are built once: a hit allocates only what it must.
  const fixed = {
    ...(options.ttl === undefined ? {} : { ttlMs: options.ttl }),
    ...(options.staleWhileRevalidate === undefined ? {} : { staleWhileRevalidateMs: options.staleWhileRevalidate }),
  };
  const perCall = tags.length > 0 || options.condition !== undefined;
  return async function (this: unknown, ...args: unknown[]) {
    const em = entityManagerOf(this);
    if (em?.isInTransaction()) {
      return method.apply(this, args); // the transaction may see its own uncommitted writes
    }
    const cache = options.cache ?? (em ? cacheOf(em) : defaultCache());
    const rendered = key ? key.render(args) : `${ownerOf(this)}.${name}:${hashOf(args)}`;
    const filters = em ? await filterKeyOf(em, repositoryEntityOf(this)) : '';
    const fullKey = filters ? `${rendered}|f=${filters}` : rendered;
    const schema = em ? schemaHash(em.getMetadata()) : '';
    let fresh: { value: unknown } | undefined;
    const load = async (): Promise<Envelope> => {
      const value = await method.apply(this, args);
      fresh = { value };
      const cacheable = toCacheable(value);
      return { s: schema, v: cacheable.value, n: cacheable.entities };
    };
    const wrapOptions = perCall
      ? {
          ...fixed,
          tags: tags.map((tag) => tag.render(args)),
          ...(options.condition
            ? { condition: (envelope: Envelope) => options.condition?.(fresh ? fresh.value : envelope.v) ?? true }
            : {}),
        }
      : fixed;
    let envelope = await cache.wrap(fullKey, load, wrapOptions);
    if (fresh) return fresh.value;
    if (envelope.s !== schema) {
      // Written by another entity schema (a previous deploy): never merge an old shape, load again.
      await cache.invalidate({ keys: [fullKey] });
      envelope = await cache.wrap(fullKey, load, wrapOptions);
      if (fresh) return (fresh as { value: unknown }).value;
    }
    return envelope.n === 0 ? envelope.v : fromCacheable(envelope.v, em);
  };
}

/** The class name a default key starts with: the class itself for a static method, else the instance's. */
function ownerOf(self: unknown): string {
  return typeof self === 'function' ? self.name : ((self as object | undefined)?.constructor?.name ?? 'fn');
}

function validate(label: string, options: CachedOptions<any>): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${label} options`, 'an object', options);
  }
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`${label} options`, `an object with only ${[...OPTION_KEYS].join(', ')}`, options);
  }
  for (const name of ['ttl', 'staleWhileRevalidate'] as const) {
    if (options[name] !== undefined) ttlMs(`${label} options.${name}`, options[name]);
  }
  if ((options.ttl ?? 0) + (options.staleWhileRevalidate ?? 0) > MAX_TTL_MS) {
    throw new InvalidArgumentError(
      `${label} options.ttl + options.staleWhileRevalidate`,
      `at most ${MAX_TTL_MS} ms (how long an entry is kept)`,
      (options.ttl ?? 0) + (options.staleWhileRevalidate ?? 0),
    );
  }
  if (options.tags !== undefined && !Array.isArray(options.tags)) {
    throw new InvalidArgumentError(`${label} options.tags`, 'an array of strings', options.tags);
  }
  if (options.condition !== undefined && typeof options.condition !== 'function') {
    throw new InvalidArgumentError(`${label} options.condition`, 'a function', options.condition);
  }
}
