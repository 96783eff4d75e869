import type { EntityRepository } from '@mikro-orm/core';
import { InvalidArgumentError } from '@stratum/core';
import type DataLoader from 'dataloader';
import { keyHash } from './key-hash.js';
import { loaders } from './loaders.js';

/** Options of {@link loaderFor}. */
export interface LoaderForOptions {
  /**
   * The property of each returned row that holds its key. Without it, the method must return one
   * result per key, in key order (or a `Map` from key to result).
   */
  key?: string;
  /** With `key`: each key gets every row that has it (an array, `[]` when none) rather than one row (or `null`). */
  many?: boolean;
}

/** The names of `R`'s methods that take an array of keys and return a promise. */
export type BatchMethod<R> = {
  [M in keyof R]: R[M] extends (keys: readonly any[]) => Promise<unknown> ? M : never;
}[keyof R] &
  string;

/** The key type of a batch method: the element type of its array parameter. */
export type BatchKey<F> = F extends (keys: readonly (infer K)[]) => unknown ? K : never;

/**
 * A request-scoped loader over a repository method that takes many keys: `load(key)` calls made in
 * the same tick become one call of `repo[method](keys)` (distinct keys, at most `maxBatchSize`), and
 * each caller gets the result for its key. The result is matched to keys by hash: by `options.key`
 * when given, else from a `Map`, else position by position (then it must have one item per key). An
 * `Error` item rejects only that key's caller; a method that throws rejects every caller of the batch.
 * The loader is cleared after writes to the repository's entity, like the built-in loaders.
 *
 * @example
 * ```ts
 * class TrackRepository extends BaseRepository<Track> {
 *   findByComposers(composers: readonly string[]) {
 *     return this.find({ composer: { $in: composers } }, { orderBy: { id: 'asc' } });
 *   }
 * }
 * const byComposer = loaderFor(em.getRepository(Track), 'findByComposers', { key: 'composer', many: true });
 * const [acdc, queen] = await Promise.all([byComposer.load('AC/DC'), byComposer.load('Queen')]); // one query
 * ```
 */
export function loaderFor<R extends EntityRepository<any>, M extends BatchMethod<R>, V = unknown>(
  repository: R,
  method: M,
  options: LoaderForOptions = {},
): DataLoader<BatchKey<R[M]>, V, string> {
  type K = BatchKey<R[M]>;
  const fn = (repository as unknown as Record<string, unknown>)[method];
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(
      'method',
      `a method of ${repository.constructor.name} that takes an array of keys`,
      method,
    );
  }
  if (options.many && options.key === undefined) {
    throw new InvalidArgumentError('options.many', 'used together with options.key', options);
  }
  const em = repository.getEntityManager();
  const entity = em.getMetadata().find((repository as unknown as { entityName: never }).entityName);
  return loaders(em).custom<K, V>(
    // The entity is part of the name: entities may share a repository class (e.g. BaseRepository itself).
    `${entity?.className ?? '?'}:${repository.constructor.name}.${method}:${options.key ?? ''}:${options.many ? 'many' : 'one'}`,
    entity ? [entity.className] : [],
    async (keys) =>
      matchToKeys(keys, await (fn as (keys: readonly K[]) => Promise<unknown>).call(repository, keys), options, method),
  );
}

/** Puts what a batch method returned in key order (see {@link loaderFor}). */
export function matchToKeys<K, V>(
  keys: readonly K[],
  result: unknown,
  options: LoaderForOptions,
  method: string,
): (V | Error)[] {
  if (result instanceof Map) {
    const byHash = new Map<string, unknown>();
    for (const [key, value] of result) byHash.set(keyHash(key), value);
    return keys.map((key) => (byHash.get(keyHash(key)) ?? null) as V);
  }
  if (!Array.isArray(result)) {
    const error = new InvalidArgumentError(`the result of ${method}()`, 'an array or a Map', result);
    return keys.map(() => error);
  }
  if (options.key !== undefined) {
    const field = options.key;
    const byHash = new Map<string, unknown[]>();
    for (const row of result) {
      const hash = keyHash((row as Record<string, unknown>)[field]);
      let rows = byHash.get(hash);
      if (!rows) {
        rows = [];
        byHash.set(hash, rows);
      }
      rows.push(row);
    }
    return keys.map((key) => {
      const rows = byHash.get(keyHash(key));
      return (options.many ? (rows ?? []) : (rows?.[0] ?? null)) as V;
    });
  }
  if (result.length !== keys.length) {
    const error = new InvalidArgumentError(
      `the result of ${method}()`,
      `one item per key, in key order (${keys.length} keys), or a Map, or rows matched with { key }`,
      `${result.length} items`,
    );
    return keys.map(() => error);
  }
  return result as (V | Error)[];
}
