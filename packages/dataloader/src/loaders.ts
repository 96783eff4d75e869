import {
  type Collection,
  type EntityClass,
  type EntityManager,
  type EntityMetadata,
  type EntityName,
  type EntityProperty,
  ReferenceKind,
} from '@mikro-orm/core';
import { InvalidArgumentError, UnknownFieldError } from '@stratum/core';
import { runInBatch } from '@stratum/core/internal';
import type DataLoader from 'dataloader';
import { loadChildren } from './batch/load-children.js';
import { loadCounts } from './batch/load-counts.js';
import { loadEntities } from './batch/load-entities.js';
import { loadManyToMany } from './batch/load-many-to-many.js';
import { pivotSides } from './batch/pivot.js';
import { LoaderScopeError } from './errors/loader-scope-error.js';
import { keyHash, type LoaderKey } from './key-hash.js';
import { TracedDataLoader } from './traced-data-loader.js';
import { trackWrites } from './write-tracking.js';

/** Options of {@link loaders}. */
export interface LoadersOptions {
  /**
   * Most keys in one query; a bigger batch is split. MikroORM sends the keys inline in the SQL text
   * (no bound parameters, so SQLite's 32766 and PostgreSQL's 65535 do not apply), and composite keys
   * go as one row-value `in` (no nesting for SQLite's expression-depth limit of 1000); the default
   * keeps a query's text to tens of kilobytes.
   * @default 5000
   */
  maxBatchSize?: number;
}

/** The properties of `T` that are collections (1:M or M:N). */
export type CollectionProperty<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends Collection<any, any> ? K : never;
}[keyof T] &
  string;

/** The entity type a collection property holds. */
export type CollectionItem<T, P extends keyof T> = NonNullable<T[P]> extends Collection<infer C, any> ? C : never;

/** A key of a relation loader: the parent entity, or its primary key. */
export type ParentKey<T> = T | unknown;

/** A loader and what it depends on, so a write can clear exactly what it makes stale. */
interface Registered {
  readonly loader: DataLoader<LoaderKey, unknown, string>;
  /** Class names whose rows this loader returns or reads through (target, pivot, the entity itself). */
  readonly reads: ReadonlySet<string>;
  /** For entity loaders: the class whose primary keys are the loader's keys (a write by id clears just those). */
  readonly keyedBy?: string;
}

const byEntityManager = new WeakMap<EntityManager, Loaders>();

/**
 * The request's loaders: batched, cached per request, one query per batch of keys. Get them with
 * {@link loaders}; they live as long as the EntityManager fork they belong to (one request).
 *
 * Every loader keeps the keys' order, answers `null` (entities) or `[]` (collections) or `0` (counts)
 * for a missing key, queries through the EntityManager (its filters apply, and what it loads joins
 * its identity map: one instance per row), and forgets what a write in this process makes stale.
 *
 * @example
 * ```ts
 * const em = orm.em.fork();
 * const load = loaders(em);
 * const [album, tracks, count] = await Promise.all([
 *   load.entity(Album).load(1),
 *   load.collection(Album, 'tracks').load(1),
 *   load.count(Album, 'tracks').load(1),
 * ]);
 * ```
 */
export class Loaders {
  readonly em: EntityManager;
  readonly #maxBatchSize: number;
  readonly #loaders = new Map<string, Registered>();

  /** @internal use {@link loaders}. */
  constructor(em: EntityManager, options: LoadersOptions = {}) {
    const maxBatchSize = options.maxBatchSize ?? 5000;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      throw new InvalidArgumentError('maxBatchSize', 'a positive integer', maxBatchSize);
    }
    this.em = em;
    this.#maxBatchSize = maxBatchSize;
    trackWrites(em, this);
  }

  /**
   * Entities by primary key (a many-to-one reference is `entity(Album).load(track.album.id)`).
   *
   * @example
   * ```ts
   * const albums = await loaders(em).entity(Album).loadMany([1, 2, 999]); // [Album, Album, null]
   * ```
   */
  entity<T extends object>(entityName: EntityName<T>): DataLoader<LoaderKey, T | null, string> {
    const meta = this.#meta(entityName);
    return this.#get(`entity:${meta.className}`, { reads: [meta.className], keyedBy: meta.className }, (keys) =>
      loadEntities(this.em, meta, keys),
    ) as DataLoader<LoaderKey, T | null, string>;
  }

  /**
   * The items of a collection (1:M by foreign key, or M:N through the pivot) for many parents at once.
   *
   * @example
   * ```ts
   * const tracksOfAlbum1 = await loaders(em).collection(Album, 'tracks').load(1); // Track[] in the relation's orderBy
   * const tracksOfPlaylist = await loaders(em).collection(Playlist, 'tracks').load(playlist); // M:N
   * ```
   */
  collection<T extends object, P extends CollectionProperty<T>>(
    entityName: EntityName<T>,
    relation: P,
  ): DataLoader<ParentKey<T>, CollectionItem<T, P>[], string> {
    const { meta, prop } = this.#relation(entityName, relation, 'collection');
    const target = (prop.targetMeta as EntityMetadata).className;
    if (prop.kind === ReferenceKind.ONE_TO_MANY) {
      return this.#get(`collection:${meta.className}.${prop.name}`, { reads: [target] }, (keys) =>
        loadChildren(this.em, prop, keys),
      ) as DataLoader<ParentKey<T>, CollectionItem<T, P>[], string>;
    }
    const sides = pivotSides(this.em.getMetadata(), meta.className, prop);
    return this.#get(
      `collection:${meta.className}.${prop.name}`,
      { reads: [target, sides.pivot.className, meta.className] },
      (keys) => loadManyToMany(this.em, prop, sides, keys),
    ) as DataLoader<ParentKey<T>, CollectionItem<T, P>[], string>;
  }

  /**
   * How many items a collection holds, for many parents in one grouped query, without loading them.
   *
   * @example
   * ```ts
   * const [onAlbum1, onAlbum2] = await loaders(em).count(Album, 'tracks').loadMany([1, 2]); // [10, 1]
   * ```
   */
  count<T extends object>(
    entityName: EntityName<T>,
    relation: CollectionProperty<T>,
  ): DataLoader<ParentKey<T>, number, string> {
    const { meta, prop } = this.#relation(entityName, relation, 'count');
    const target = (prop.targetMeta as EntityMetadata).className;
    if (prop.kind === ReferenceKind.ONE_TO_MANY) {
      return this.#get(`count:${meta.className}.${prop.name}`, { reads: [target] }, (keys) =>
        loadCounts(this.em, prop.targetMeta as EntityMetadata, prop.mappedBy, keys, prop.where as object | undefined),
      ) as DataLoader<ParentKey<T>, number, string>;
    }
    const sides = pivotSides(this.em.getMetadata(), meta.className, prop);
    return this.#get(
      `count:${meta.className}.${prop.name}`,
      { reads: [target, sides.pivot.className, meta.className] },
      async (keys) => {
        // Counting pivot rows skips the targets' filters: put them in the where (through the pivot's
        // reference), with the relation's own `where`, so the count is what the collection holds.
        const targetFilters = await this.em.applyFilters(prop.targetMeta?.class as never, {}, undefined, 'read');
        const onTargets = [targetFilters, prop.where].filter(
          (cond): cond is object => cond != null && Object.keys(cond).length > 0,
        );
        const through =
          onTargets.length === 0
            ? undefined
            : { [sides.to]: onTargets.length === 1 ? onTargets[0] : { $and: onTargets } };
        return loadCounts(this.em, sides.pivot, sides.from, keys, through);
      },
    ) as DataLoader<ParentKey<T>, number, string>;
  }

  /**
   * A loader over any batch function, registered under `name` in this request (see `loaderFor` for
   * repository methods). `reads` names the entities whose writes must clear it.
   *
   * @example
   * ```ts
   * const byComposer = loaders(em).custom('tracksByComposer', ['Track'], (composers) =>
   *   em.getRepository(Track).findByComposers(composers),
   * );
   * ```
   */
  custom<K, V>(
    name: string,
    reads: readonly (EntityName<object> | string)[],
    batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  ): DataLoader<K, V, string> {
    const classes = reads.map((entity) => (typeof entity === 'string' ? entity : this.#meta(entity).className));
    return this.#get(`custom:${name}`, { reads: classes }, batch as never) as unknown as DataLoader<K, V, string>;
  }

  /**
   * Forgets what the loaders cached about `entity` (the given primary keys, or all of it): loaders
   * call this themselves after writes they see; call it after a write they cannot see (raw SQL).
   *
   * @example
   * ```ts
   * await em.execute('update track set unit_price = 0.99');
   * loaders(em).clear('Track');
   * ```
   */
  clear(entity?: EntityName<object> | string, ids?: readonly unknown[]): void {
    if (entity === undefined) {
      for (const { loader } of this.#loaders.values()) loader.clearAll();
      return;
    }
    const className = this.#family(typeof entity === 'string' ? entity : this.#meta(entity).className);
    for (const registered of this.#loaders.values()) {
      if (!registered.reads.has(className)) continue;
      if (ids !== undefined && registered.keyedBy === className) {
        for (const id of ids) registered.loader.clear(id);
      } else {
        registered.loader.clearAll();
      }
    }
  }

  #get(
    key: string,
    deps: { reads: readonly string[]; keyedBy?: string },
    batch: (keys: readonly LoaderKey[]) => Promise<readonly unknown[]>,
  ): DataLoader<LoaderKey, unknown, string> {
    let registered = this.#loaders.get(key);
    if (!registered) {
      registered = {
        // Run as a Stratum batch: profilers know these queries answer many callers at once.
        // Where each key was asked for goes with the batch too: the N+1 detector's one-key-batch rule.
        loader: new TracedDataLoader<LoaderKey, unknown>(
          (keys, callers) =>
            runInBatch(
              callers === undefined ? { loader: key, keys: keys.length } : { loader: key, keys: keys.length, callers },
              () => batch(keys) as Promise<unknown[]>,
            ),
          {
            maxBatchSize: this.#maxBatchSize,
            cacheKeyFn: keyHash,
          },
        ),
        reads: new Set(deps.reads.map((name) => this.#family(name))),
        ...(deps.keyedBy === undefined ? {} : { keyedBy: this.#family(deps.keyedBy) }),
      };
      this.#loaders.set(key, registered);
    }
    return registered.loader;
  }

  /**
   * The root class of an entity's inheritance hierarchy (itself when it has none): what loaders read
   * and writes clear are compared by it, since MikroORM's driver writes name the root (`Animal`) and a
   * bulk write the class (`Dog`).
   */
  #family(className: string): string {
    return this.em.getMetadata().getByClassName(className, false)?.root.className ?? className;
  }

  #meta<T extends object>(entityName: EntityName<T>): EntityMetadata<T> {
    const meta = this.em.getMetadata().find<T>(entityName as EntityClass<T>);
    if (!meta) {
      throw new InvalidArgumentError('entityName', 'an entity known to this MikroORM instance', entityName);
    }
    return meta;
  }

  #relation<T extends object>(
    entityName: EntityName<T>,
    relation: string,
    method: string,
  ): { meta: EntityMetadata<T>; prop: EntityProperty } {
    const meta = this.#meta(entityName);
    const prop = (meta.properties as Record<string, EntityProperty | undefined>)[relation];
    if (!prop) {
      throw new UnknownFieldError(meta.className, relation, `loaders.${method}()`, Object.keys(meta.properties));
    }
    if (prop.kind !== ReferenceKind.ONE_TO_MANY && prop.kind !== ReferenceKind.MANY_TO_MANY) {
      throw new InvalidArgumentError(
        `loaders.${method}() relation`,
        `a 1:M or M:N collection of ${meta.className} (${relation} is ${prop.kind}; load a many-to-one with entity(${(prop.targetMeta as EntityMetadata | undefined)?.className ?? '...'}))`,
        relation,
      );
    }
    return { meta, prop };
  }
}

/**
 * The loaders of a request: one registry per EntityManager fork, created on first use. Pass the
 * request's fork (`em.fork()`), or the global `orm.em` inside MikroORM's `RequestContext` (it
 * resolves to the request's fork, through AsyncLocalStorage). On the global EntityManager outside a
 * request context it throws {@link LoaderScopeError}: a registry shared by requests would leak rows.
 *
 * @example
 * ```ts
 * app.use((req, res, next) => RequestContext.create(orm.em, next));
 * // in a resolver:
 * const artist = await loaders(orm.em).entity(Artist).load(album.artist.id);
 * ```
 */
export function loaders(em: EntityManager, options?: LoadersOptions): Loaders {
  const scoped = em.getContext(false);
  if (scoped.global) {
    throw new LoaderScopeError();
  }
  let registry = byEntityManager.get(scoped);
  if (!registry) {
    registry = new Loaders(scoped, options);
    byEntityManager.set(scoped, registry);
  }
  return registry;
}
