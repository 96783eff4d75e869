import {
  type EntityManager,
  type EntityName,
  EntityRepository,
  type EventSubscriber,
  type FlushEventArgs,
  helper,
  type MetadataStorage,
  type MikroORM,
} from '@mikro-orm/core';
import { onBulkWrite } from '@stratum/core';
import type { Cache } from '../cache.js';
import { Cache as CacheClass } from '../cache.js';
import { CacheSetupError } from '../errors/cache-setup-error.js';
import { MemoryStore } from '../store/memory-store.js';
import { afterCommitSubscriber, runAfterCommit } from './after-commit.js';
import { setOrmCache } from './orm-caches.js';

/** Options of {@link enableCache}. */
export interface EnableCacheOptions {
  /**
   * The cache of this ORM's decorated repositories (and what its writes invalidate).
   * @default a new in-memory cache of its own, namespace `stratum.<dbName>` (two ORMs never share entries)
   */
  cache?: Cache;
  /**
   * Entities whose writes invalidate their tags automatically: `Track:42` (the row) and `Track` (the
   * entity) — named by entity (`Track`, `'Track'`) or by repository class (`TrackRepository`: its
   * entity). `true`: every entity.
   * @default none (opt in per entity or repository)
   */
  invalidateOnWrite?:
    | true
    | readonly (EntityName<object> | (abstract new (...args: never[]) => EntityRepository<any>))[];
}

/**
 * Connects the cache to a MikroORM instance, once after `MikroORM.init` (a second call for the same
 * ORM throws {@link CacheSetupError}):
 * - `@InvalidatesCache` inside a transaction waits for the commit (needs this hook);
 * - with `invalidateOnWrite`, after every commit the tags of the changed rows are invalidated —
 *   `Track:42` for each row of a flush or of a Stratum bulk operation by id, `Track` for the entity —
 *   and `em.nativeUpdate` / `em.nativeDelete` / `em.insert` invalidate at least `Track`.
 *
 * Tag your cached reads with the same names (`@Cached({ tags: ['Track:{id}'] })`, or `['Track']` for
 * lists) to have them invalidated when the rows change.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init(config);
 * enableCache(orm, { cache, invalidateOnWrite: [Track, Album] });
 * ```
 */
export function enableCache(orm: MikroORM, options: EnableCacheOptions = {}): void {
  if (enabled.has(orm.config)) {
    // A second call would add a second set of write hooks (each invalidating its own cache) and
    // leave the first cache's hooks in place: refuse instead of stacking them.
    throw new CacheSetupError(
      'enableCache(orm) was already called for this ORM: call it once, after MikroORM.init(), with the cache and the entities it should use.',
    );
  }
  enabled.add(orm.config);
  const events = orm.em.getEventManager();
  events.registerSubscriber(afterCommitSubscriber);
  const ormCache =
    options.cache ??
    new CacheClass({
      store: new MemoryStore(),
      namespace: `stratum.${databaseName(orm)}`,
    });
  setOrmCache(orm.config, ormCache);
  const opted = options.invalidateOnWrite;
  if (opted === undefined) return;
  const cache = () => ormCache;
  const metadata = orm.em.getMetadata();
  const names = opted === true ? undefined : new Set(opted.map((item) => entityOf(metadata, item)));
  const wanted = (className: string) => names === undefined || names.has(className);
  const invalidate = (em: EntityManager, tags: string[]) =>
    tags.length === 0 ? Promise.resolve() : runAfterCommit(em, () => cache().invalidate({ tags }));

  const flushSubscriber: EventSubscriber = {
    async afterFlush(args: FlushEventArgs) {
      const tags = new Set<string>();
      for (const changeSet of args.uow.getChangeSets()) {
        const className = changeSet.meta.root.className;
        if (!wanted(className)) continue;
        tags.add(className);
        const pk = helper(changeSet.entity).getSerializedPrimaryKey();
        if (pk !== undefined) tags.add(`${className}:${pk}`);
      }
      await invalidate(args.em, [...tags]);
    },
  };
  events.registerSubscriber(flushSubscriber);

  onBulkWrite(orm, async (event) => {
    if (!wanted(event.entity)) return;
    const tags = [event.entity, ...(event.ids ?? []).map((id) => `${event.entity}:${String(id)}`)];
    await invalidate(event.em as unknown as EntityManager, tags);
  });

  // Writes that bypass the unit of work: the entity's tag (and the rows', when the write names them).
  const driver = orm.em.getDriver() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  // The position of each method's options argument (which carries `em` for em.native* calls).
  const optionsAt: Record<string, number> = {
    nativeInsert: 2,
    nativeInsertMany: 2,
    nativeUpdate: 3,
    nativeUpdateMany: 3,
    nativeDelete: 2,
  };
  for (const [name, at] of Object.entries(optionsAt)) {
    const original = driver[name];
    if (typeof original !== 'function') continue;
    driver[name] = async function (this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      const className = metadata.find(args[0] as never)?.root.className;
      const em = (args[at] as { em?: EntityManager } | undefined)?.em;
      if (className !== undefined && wanted(className)) {
        if (em) {
          await invalidate(em, [className]);
        } else {
          await cache().invalidate({ tags: [className] });
        }
      }
      return result;
    };
  }
}

/** The ORMs (by configuration) whose cache is enabled. */
const enabled = new WeakSet<object>();

/** The database's name for a namespace: `chinook.sqlite` for `/data/chinook.sqlite`, `app` for PostgreSQL's `app`. */
function databaseName(orm: MikroORM): string {
  const name = String(orm.config.get('dbName') ?? 'db');
  return (name.split(/[\\/]/).pop() || 'db').replace(/[^\w.-]/g, '_');
}

/** The entity class name an `invalidateOnWrite` item names: an entity, its name, or its repository class. */
function entityOf(metadata: MetadataStorage, item: unknown): string {
  if (typeof item === 'function' && item.prototype instanceof EntityRepository) {
    const meta = [...metadata].find((m) => (m.repository as (() => unknown) | undefined)?.() === item);
    if (meta) return meta.className;
  }
  return metadata.find(item as never)?.className ?? String(item);
}
