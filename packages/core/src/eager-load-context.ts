import { AsyncLocalStorage } from 'node:async_hooks';
import { type Dictionary, type EntityMetadata, ReferenceKind } from '@mikro-orm/core';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { UnknownFieldError } from './errors/unknown-field-error.js';

/** How eager-loaded relations are fetched: one query per relation level, or joined into the main query. */
export type EagerLoadStrategy = 'select-in' | 'joined';

/** The strategies {@link EagerLoadStrategy} allows, for validation. */
export const EAGER_LOAD_STRATEGIES: readonly EagerLoadStrategy[] = ['select-in', 'joined'];

/**
 * What `@EagerLoad` asks a repository to populate: relation paths of the repository's entity, and
 * optionally how to load them. `source` names the decorator and where it sits, for error messages.
 */
export interface EagerLoadSpec {
  /** Relation paths of the entity, e.g. `['album.artist', 'genre']`. */
  readonly populate: readonly string[];
  /** Loading strategy of these paths; MikroORM's default (or the caller's `strategy`) when absent. */
  readonly strategy?: EagerLoadStrategy;
  /** Where the spec comes from, e.g. `@EagerLoad(["genre"]) on TrackRepository.withGenre`. */
  readonly source: string;
}

/** An {@link EagerLoadSpec} active for one entity, as {@link runWithEagerLoad} takes it. */
export interface ActiveEagerLoad extends EagerLoadSpec {
  /** The entity class name the populate is for, e.g. `Track`: reads of other entities are left alone. */
  readonly entity: string;
}

/**
 * The static property under which a repository class keeps its class-level default (`@EagerLoad`
 * on the class). `BaseRepository` reads it (inherited by subclasses) in every read method.
 */
export const EAGER_LOAD_DEFAULT: unique symbol = Symbol.for('@stratum/core.eagerLoadDefault');

const storage = new AsyncLocalStorage<readonly ActiveEagerLoad[]>();

/**
 * Runs `fn` with `eager` in effect: `BaseRepository` read methods (`find`, `findOne`, `findPage`,
 * `findByCursor`, ...) of the repository of `eager.entity` called inside `fn` (also after `await`)
 * merge `eager.populate` into their options. Nested calls stack: the innermost one for an entity wins.
 *
 * @example
 * ```ts
 * const tracks = await runWithEagerLoad(
 *   { entity: 'Track', populate: ['album.artist'], strategy: 'joined', source: 'report' },
 *   () => em.getRepository(Track).find({ genre: 1 }),
 * );
 * tracks[0].album?.artist.name; // loaded, in the same query
 * ```
 */
export function runWithEagerLoad<R>(eager: ActiveEagerLoad, fn: () => R): R {
  const active = storage.getStore() ?? [];
  return storage.run([...active, eager], fn);
}

/**
 * The eager load in effect for reads of `entity` (a class name) in the current async context, or
 * `undefined` (none, or only for other entities).
 *
 * @example
 * ```ts
 * runWithEagerLoad({ entity: 'Album', populate: ['artist'], source: 'demo' }, () => {
 *   currentEagerLoad('Album')?.populate; // ['artist']
 *   currentEagerLoad('Track'); // undefined
 * });
 * ```
 */
export function currentEagerLoad(entity: string): ActiveEagerLoad | undefined {
  const active = storage.getStore();
  if (active === undefined) {
    return undefined;
  }
  for (let i = active.length - 1; i >= 0; i--) {
    if (active[i]?.entity === entity) {
      return active[i];
    }
  }
  return undefined;
}

/**
 * The class-level default of a repository class (set by `@EagerLoad` on the class, inherited by
 * subclasses), or `undefined`.
 *
 * @example
 * ```ts
 * @EagerLoad(['artist'])
 * class AlbumRepository extends BaseRepository<Album> {}
 * eagerLoadDefault(AlbumRepository)?.populate; // ['artist']
 * ```
 */
export function eagerLoadDefault(repositoryClass: unknown): EagerLoadSpec | undefined {
  if (typeof repositoryClass !== 'function') {
    return undefined;
  }
  return (repositoryClass as unknown as { [EAGER_LOAD_DEFAULT]?: EagerLoadSpec })[EAGER_LOAD_DEFAULT];
}

const PATH_SEGMENT = /^[A-Za-z_$][\w$]*$/;

/**
 * Checks the shape of populate paths, before any metadata is known: a non-empty array of non-empty
 * strings, each a dotted relation path (`'album.artist'`, optionally ending in `:ref`). Throws
 * `InvalidArgumentError` naming `argument`. Returns the paths without duplicates.
 *
 * @example
 * ```ts
 * assertPopulatePaths('@EagerLoad paths', ['album.artist', 'genre']); // ['album.artist', 'genre']
 * assertPopulatePaths('@EagerLoad paths', []); // throws InvalidArgumentError
 * ```
 */
export function assertPopulatePaths(argument: string, paths: unknown): string[] {
  const expected = "a non-empty array of relation paths such as ['album.artist', 'genre']";
  if (!Array.isArray(paths) || paths.length === 0) {
    throw new InvalidArgumentError(argument, expected, paths);
  }
  paths.forEach((path, index) => {
    if (typeof path !== 'string' || path.length === 0) {
      throw new InvalidArgumentError(`${argument}[${index}]`, 'a non-empty string', path);
    }
    const segments = path.replace(/:ref$/, '').split('.');
    if (!segments.every((segment) => PATH_SEGMENT.test(segment))) {
      throw new InvalidArgumentError(
        `${argument}[${index}]`,
        "a dotted path of relation names such as 'album.artist'",
        path,
      );
    }
  });
  return [...new Set(paths as string[])];
}

const RELATION_KINDS = new Set<string>([
  ReferenceKind.MANY_TO_ONE,
  ReferenceKind.ONE_TO_ONE,
  ReferenceKind.ONE_TO_MANY,
  ReferenceKind.MANY_TO_MANY,
]);

const checked = new WeakMap<EagerLoadSpec, Set<EntityMetadata>>();

/**
 * Checks that every path of `spec` walks relations of `meta`'s entity (each segment a relation of
 * the entity the previous one leads to). Throws `UnknownFieldError` (E_UNKNOWN_FIELD) on the first
 * segment that is not a relation. Cached: a spec is checked once per entity.
 *
 * @example
 * ```ts
 * assertEagerLoadPaths(orm.getMetadata().get(Track), { populate: ['album.artist'], source: 'demo' }); // ok
 * assertEagerLoadPaths(orm.getMetadata().get(Track), { populate: ['album.colour'], source: 'demo' });
 * // UnknownFieldError: demo: populate path "album.colour" names "colour", which is not a relation of Album. ...
 * ```
 */
export function assertEagerLoadPaths(meta: EntityMetadata, spec: EagerLoadSpec): void {
  let done = checked.get(spec);
  if (done?.has(meta)) {
    return;
  }
  for (const path of spec.populate) {
    let current: EntityMetadata | undefined = meta;
    for (const segment of path.replace(/:ref$/, '').split('.')) {
      const prop = current?.properties[segment as never] as Dictionary | undefined;
      const owner: EntityMetadata = current as EntityMetadata;
      if (prop === undefined || !RELATION_KINDS.has(prop.kind as string)) {
        throw unknownRelation(spec.source, owner, path, segment, prop !== undefined);
      }
      current = prop.targetMeta as EntityMetadata | undefined;
    }
  }
  if (done === undefined) {
    done = new Set();
    checked.set(spec, done);
  }
  done.add(meta);
}

function unknownRelation(
  source: string,
  meta: EntityMetadata,
  path: string,
  segment: string,
  isProperty: boolean,
): UnknownFieldError {
  const relations = Object.values(meta.properties as Dictionary)
    .filter((prop) => RELATION_KINDS.has(prop.kind))
    .map((prop) => prop.name as string);
  const error = new UnknownFieldError(meta.className, segment, `${source}: populate path ${path}`, relations);
  error.message =
    `${source}: populate path ${JSON.stringify(path)} names ${JSON.stringify(segment)}, which is ` +
    `${isProperty ? 'a property but not a relation' : 'not a relation'} of ${meta.className}. ` +
    `Relations of ${meta.className}: ${relations.length > 0 ? relations.join(', ') : '(none)'}.`;
  return error;
}

/**
 * Merges an eager load into MikroORM find options: its paths are added to the caller's `populate`
 * (never replacing it), and its strategy applies to its own paths only (through `populateHints`;
 * the caller's hints for the same path win). `populate: false` from the caller turns it off.
 *
 * @example
 * ```ts
 * mergeEagerLoad({ populate: ['mediaType'] }, { populate: ['genre'], strategy: 'joined', source: 'demo' });
 * // { populate: ['mediaType', 'genre'], populateHints: { genre: { strategy: 'joined' } } }
 * ```
 */
export function mergeEagerLoad<O extends object>(options: O | undefined, eager: EagerLoadSpec | undefined): O {
  const given = (options ?? {}) as Dictionary;
  if (eager === undefined || given.populate === false) {
    return given as O;
  }
  const own: unknown[] =
    given.populate == null ? [] : Array.isArray(given.populate) ? given.populate : [given.populate];
  const populate = [...new Set([...own, ...eager.populate])];
  const merged: Dictionary = { ...given, populate };
  if (eager.strategy !== undefined) {
    const hints: Dictionary = {};
    for (const path of eager.populate) {
      const segments = path.replace(/:ref$/, '').split('.');
      // Every level of the path: a joined 'album.artist' joins album too.
      for (let i = 1; i <= segments.length; i++) {
        hints[segments.slice(0, i).join('.')] = { strategy: eager.strategy };
      }
    }
    const callerHints = (given.populateHints ?? {}) as Dictionary;
    for (const [path, hint] of Object.entries(callerHints)) {
      hints[path] = { ...hints[path], ...hint };
    }
    merged.populateHints = hints;
  }
  return merged as O;
}
