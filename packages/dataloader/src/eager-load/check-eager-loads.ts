import type { EntityMetadata, MikroORM } from '@mikro-orm/core';
import { BaseRepository } from '@stratum/core';
import { assertEagerLoadPaths, eagerLoadDefault } from '@stratum/core/internal';
import { eagerLoadOf } from './eager-load.js';

/** One `@EagerLoad` that {@link checkEagerLoads} checked. */
export interface CheckedEagerLoad {
  /** The entity class name, e.g. `Track`. */
  readonly entity: string;
  /** The repository class name, e.g. `TrackRepository`. */
  readonly repository: string;
  /** The decorated method, or `undefined` for the class-level default. */
  readonly method?: string;
  readonly populate: readonly string[];
}

/**
 * Checks every `@EagerLoad` of the ORM's repositories against the discovered entity metadata, so a
 * path that names no relation fails at startup instead of on the first call: throws
 * `UnknownFieldError` (E_UNKNOWN_FIELD) for the first bad path. Call it right after `MikroORM.init`.
 * Returns what it checked.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init(config);
 * checkEagerLoads(orm); // [{ entity: 'Album', repository: 'AlbumRepository', method: 'withArtist', populate: ['artist'] }, ...]
 * ```
 */
export function checkEagerLoads(orm: Pick<MikroORM, 'getMetadata' | 'config'>): CheckedEagerLoad[] {
  const checked: CheckedEagerLoad[] = [];
  for (const meta of orm.getMetadata().getAll().values()) {
    const repositoryClass = repositoryClassOf(orm, meta);
    if (repositoryClass === undefined) {
      continue;
    }
    const repository = repositoryClass.name;
    const classDefault = eagerLoadDefault(repositoryClass);
    if (classDefault !== undefined) {
      assertEagerLoadPaths(meta, classDefault);
      checked.push({ entity: meta.className, repository, populate: classDefault.populate });
    }
    const seen = new Set<string | symbol>();
    for (
      let proto: object | null = repositoryClass.prototype;
      proto !== null && proto !== BaseRepository.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const key of Reflect.ownKeys(proto)) {
        if (seen.has(key)) {
          continue; // overridden below: the subclass's method is the one that runs
        }
        seen.add(key);
        const declaration = eagerLoadOf(Object.getOwnPropertyDescriptor(proto, key)?.value);
        if (declaration === undefined) {
          continue;
        }
        const { decorator, method, ...spec } = declaration;
        assertEagerLoadPaths(meta, { ...spec, source: `${decorator} on ${classNameOf(proto)}.${method}` });
        checked.push({
          entity: meta.className,
          repository,
          method: declaration.method,
          populate: declaration.populate,
        });
      }
    }
  }
  return checked;
}

function repositoryClassOf(
  orm: Pick<MikroORM, 'config'>,
  meta: EntityMetadata,
): (abstract new (...args: never[]) => BaseRepository<object>) | undefined {
  if (meta.embeddable || meta.virtual || meta.abstract) {
    return undefined;
  }
  const repositoryClass = orm.config.getRepositoryClass(meta.repository) as unknown;
  return typeof repositoryClass === 'function' && repositoryClass.prototype instanceof BaseRepository
    ? (repositoryClass as abstract new (
        ...args: never[]
      ) => BaseRepository<object>)
    : undefined;
}

function classNameOf(proto: object): string {
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name.length > 0 ? name : 'anonymous';
}
