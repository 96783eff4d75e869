import type { Configuration, EntityManager, EntityMetadata, MetadataStorage } from '@mikro-orm/core';
import { onBulkWrite } from '@stratum/core';
import type { Loaders } from './loaders.js';

/** The live registries of one MikroORM instance (weakly held: a finished request's registry is collected). */
const registries = new WeakMap<Configuration, Set<WeakRef<Loaders>>>();
const collected = new FinalizationRegistry<{ set: Set<WeakRef<Loaders>>; ref: WeakRef<Loaders> }>(({ set, ref }) =>
  set.delete(ref),
);

/** Driver methods every write of MikroORM goes through (flush, `em.nativeUpdate`, `em.insert`, M:N collections...). */
const WRITE_METHODS = [
  'nativeInsert',
  'nativeInsertMany',
  'nativeUpdate',
  'nativeUpdateMany',
  'nativeDelete',
  'syncCollections',
] as const;

type Driver = Record<(typeof WRITE_METHODS)[number], (...args: unknown[]) => Promise<unknown>>;

/**
 * Makes `registry` forget what writes make stale: after every write of this MikroORM instance (a
 * flush, `nativeInsert`/`nativeUpdate`/`nativeDelete`, an M:N collection change, a Stratum bulk
 * operation) the loaders that read the written entity are cleared — only the written keys of an
 * entity loader when the write names them by primary key.
 *
 * Every live registry of the ORM hears every write (a write made in another request only costs the
 * others a cache miss): writes often run on another EntityManager than the request's (the fork of
 * `em.transactional`), which MikroORM does not link back to the request's.
 */
export function trackWrites(em: EntityManager, registry: Loaders): void {
  const config = em.config;
  let set = registries.get(config);
  if (!set) {
    set = new Set();
    registries.set(config, set);
    hookDriver(em, set);
    onBulkWrite(em, (event) => notify(set as Set<WeakRef<Loaders>>, event.entity, event.ids));
  }
  const ref = new WeakRef(registry);
  set.add(ref);
  collected.register(registry, { set, ref });
}

function hookDriver(em: EntityManager, set: Set<WeakRef<Loaders>>): void {
  const driver = em.getDriver() as unknown as Driver;
  const metadata = em.getMetadata();
  for (const method of WRITE_METHODS) {
    const original = driver[method];
    if (typeof original !== 'function') continue;
    driver[method] = async function (this: unknown, ...args: unknown[]) {
      try {
        return await original.apply(this, args);
      } finally {
        for (const [entity, ids] of written(metadata, method, args)) {
          notify(set, entity, ids);
        }
      }
    };
  }
}

function notify(set: Set<WeakRef<Loaders>>, entity: string, ids: readonly unknown[] | undefined): void {
  for (const ref of set) {
    const registry = ref.deref();
    if (registry) {
      registry.clear(entity, ids);
    } else {
      set.delete(ref);
    }
  }
}

/** Which entities (and, when the write is by primary key, which keys) a driver call writes. */
function written(
  metadata: MetadataStorage,
  method: (typeof WRITE_METHODS)[number],
  args: readonly unknown[],
): [string, readonly unknown[] | undefined][] {
  if (method === 'syncCollections') {
    const names = new Set<string>();
    for (const collection of (args[0] ?? []) as Iterable<{
      property: { pivotEntity?: unknown; targetMeta?: EntityMetadata };
      owner: object;
    }>) {
      names.add(collection.owner.constructor.name);
      if (collection.property.targetMeta) names.add(collection.property.targetMeta.className);
      const pivot = collection.property.pivotEntity
        ? metadata.find(collection.property.pivotEntity as never)
        : undefined;
      if (pivot) names.add(pivot.className);
    }
    return [...names].map((name) => [name, undefined]);
  }
  const meta = metadata.find(args[0] as never);
  if (!meta) {
    return [];
  }
  const name = meta.root.className;
  if (method === 'nativeUpdate' || method === 'nativeDelete') {
    return [[name, idsOf(meta, args[1])]];
  }
  if (method === 'nativeUpdateMany') {
    const wheres = (args[1] ?? []) as unknown[];
    const ids = wheres.map((where) => idsOf(meta, where));
    return [[name, ids.every((list) => list !== undefined) ? ids.flat() : undefined]];
  }
  // An insert can fill a key a loader answered `null` for, or add a child to a collection: clear all of it.
  return [[name, undefined]];
}

/** The primary keys a write's `where` names, if it names nothing else; `undefined` for any other filter. */
function idsOf(meta: EntityMetadata, where: unknown): unknown[] | undefined {
  if (meta.primaryKeys.length !== 1) {
    return undefined;
  }
  const pk = meta.primaryKeys[0] as string;
  if (where === null || where === undefined) {
    return undefined;
  }
  if (typeof where !== 'object' || where instanceof Date) {
    return [where];
  }
  const keys = Object.keys(where);
  if (keys.length !== 1 || keys[0] !== pk) {
    return undefined;
  }
  const value = (where as Record<string, unknown>)[pk];
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const operators = Object.keys(value);
    if (operators.length === 1 && operators[0] === '$in' && Array.isArray((value as { $in: unknown }).$in)) {
      return [...(value as { $in: unknown[] }).$in];
    }
    if (operators.length === 1 && operators[0] === '$eq') {
      return [(value as { $eq: unknown }).$eq];
    }
    return undefined;
  }
  return [value];
}
