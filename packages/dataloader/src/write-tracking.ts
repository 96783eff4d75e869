import {
  type Configuration,
  type EntityManager,
  type EntityMetadata,
  type MetadataStorage,
  ReferenceKind,
  type TransactionEventArgs,
} from '@mikro-orm/core';
import { onBulkWrite } from '@stratum/core';
import type { Loaders } from './loaders.js';

/** A write as the loaders hear it: the entity (root class name) and the keys written, if known. */
type Written = readonly [entity: string, ids: readonly unknown[] | undefined];

/** What one MikroORM instance's write tracking holds. */
interface Tracker {
  /** The live registries (weakly held: a finished request's registry is collected). */
  readonly registries: Set<WeakRef<Loaders>>;
  /** Writes made inside a transaction, by transaction: heard again when it commits or rolls back. */
  readonly pending: WeakMap<object, Written[]>;
  /** Writes of savepoints that ended, heard again when a top-level transaction ends. */
  savepointWrites: Written[];
}

const trackers = new WeakMap<Configuration, Tracker>();
const collected = new FinalizationRegistry<{ set: Set<WeakRef<Loaders>>; ref: WeakRef<Loaders> }>(({ set, ref }) =>
  set.delete(ref),
);

/**
 * Driver methods every write of MikroORM goes through (flush, `em.nativeUpdate`, `em.insert`, M:N
 * collections...), with the position of their options argument (which holds the transaction, `ctx`).
 */
const WRITE_METHODS = {
  nativeInsert: 2,
  nativeInsertMany: 2,
  nativeUpdate: 3,
  nativeUpdateMany: 3,
  nativeDelete: 2,
  syncCollections: 1,
} as const;

type WriteMethod = keyof typeof WRITE_METHODS;
type Driver = Record<WriteMethod, (...args: unknown[]) => Promise<unknown>>;

/**
 * Makes `registry` forget what writes make stale: after every write of this MikroORM instance (a
 * flush, `nativeInsert`/`nativeUpdate`/`nativeDelete`, an M:N collection change, a Stratum bulk
 * operation) the loaders that read the written entity are cleared — only the written keys of an
 * entity loader when the write names them by primary key. A delete also clears the entities whose
 * foreign keys the database cascades (`on delete cascade`, `set null`). A write inside a transaction
 * is heard again when the transaction commits or rolls back: a load made meanwhile saw the rows of
 * before the commit, or rows that the rollback undid. `em.clear()` on the registry's EntityManager
 * clears all of its loaders (what they held is no longer managed).
 *
 * Every live registry of the ORM hears every write (a write made in another request only costs the
 * others a cache miss): writes often run on another EntityManager than the request's (the fork of
 * `em.transactional`), which MikroORM does not link back to the request's.
 */
export function trackWrites(em: EntityManager, registry: Loaders): void {
  const config = em.config;
  let tracker = trackers.get(config);
  if (!tracker) {
    const created: Tracker = { registries: new Set(), pending: new WeakMap(), savepointWrites: [] };
    tracker = created;
    trackers.set(config, created);
    hookDriver(em, created);
    hookTransactions(em, created);
    onBulkWrite(em, (event) => {
      const meta = em.getMetadata().getByClassName(event.entity, false);
      const root = meta?.root.className ?? event.entity;
      const writes: Written[] = [[root, event.ids]];
      if (event.operation === 'delete') writes.push(...cascadedBy(em.getMetadata(), config, root));
      heard(created, writes, event.em.getTransactionContext());
    });
  }
  const ref = new WeakRef(registry);
  tracker.registries.add(ref);
  collected.register(registry, { set: tracker.registries, ref });
  hookClear(em, registry);
}

function hookDriver(em: EntityManager, tracker: Tracker): void {
  const driver = em.getDriver() as unknown as Driver;
  const metadata = em.getMetadata();
  for (const method of Object.keys(WRITE_METHODS) as WriteMethod[]) {
    const original = driver[method];
    if (typeof original !== 'function') continue;
    driver[method] = async function (this: unknown, ...args: unknown[]) {
      try {
        return await original.apply(this, args);
      } finally {
        const options = args[WRITE_METHODS[method]] as { ctx?: object } | undefined;
        heard(tracker, written(metadata, em.config, method, args), options?.ctx);
      }
    };
  }
}

/** Hears the writes of a transaction again when it ends (see {@link trackWrites}). */
function hookTransactions(em: EntityManager, tracker: Tracker): void {
  const ended = ({ transaction }: TransactionEventArgs) => {
    if (!transaction) return;
    const writes = tracker.pending.get(transaction) ?? [];
    tracker.pending.delete(transaction);
    notifyAll(tracker, writes);
    if ('savepointName' in transaction) {
      // The enclosing transaction may still roll these back: hear them again when a top-level one ends.
      tracker.savepointWrites.push(...writes);
    } else {
      notifyAll(tracker, tracker.savepointWrites);
      tracker.savepointWrites = [];
    }
  };
  em.getEventManager().registerSubscriber({ afterTransactionCommit: ended, afterTransactionRollback: ended });
}

/** `em.clear()` detaches every entity of the EntityManager: the registry's loaders must not hand them out. */
function hookClear(em: EntityManager, registry: Loaders): void {
  const unitOfWork = em.getUnitOfWork(false);
  const original = unitOfWork.clear;
  unitOfWork.clear = function (this: typeof unitOfWork) {
    original.call(this);
    registry.clear();
  };
}

/** Clears what `writes` make stale now, and again when their transaction (if any) ends. */
function heard(tracker: Tracker, writes: readonly Written[], transaction: object | undefined): void {
  notifyAll(tracker, writes);
  if (transaction !== undefined && writes.length > 0) {
    const pending = tracker.pending.get(transaction);
    if (pending) pending.push(...writes);
    else tracker.pending.set(transaction, [...writes]);
  }
}

function notifyAll(tracker: Tracker, writes: readonly Written[]): void {
  for (const [entity, ids] of writes) {
    for (const ref of tracker.registries) {
      const registry = ref.deref();
      if (registry) {
        registry.clear(entity, ids);
      } else {
        tracker.registries.delete(ref);
      }
    }
  }
}

const cascades = new WeakMap<MetadataStorage, Map<string, Written[]>>();

/**
 * The entities a delete of `root` also changes in the database: those whose foreign key to it (or,
 * transitively, to an entity deleted with it) has the rule `cascade`, `set null` or `set default`, as
 * MikroORM's schema generator declares it (`deleteRule`, else `schemaGenerator.defaultDeleteRule`).
 * Their keys are unknown: each is cleared whole.
 */
function cascadedBy(metadata: MetadataStorage, config: Configuration, root: string): Written[] {
  let byRoot = cascades.get(metadata);
  if (!byRoot) {
    byRoot = new Map();
    cascades.set(metadata, byRoot);
  }
  const known = byRoot.get(root);
  if (known) return known;
  const defaultRule = (config.get('schemaGenerator') as { defaultDeleteRule?: string } | undefined)?.defaultDeleteRule;
  const changed = new Set<string>();
  const deleted = [root];
  const all = [...metadata.getAll().values()] as EntityMetadata[];
  for (let i = 0; i < deleted.length; i++) {
    for (const meta of all) {
      for (const prop of Object.values(meta.properties)) {
        const owning =
          prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
        if (!owning || prop.targetMeta?.root.className !== deleted[i]) continue;
        const rule = (prop.deleteRule ?? defaultRule)?.toLowerCase();
        const name = meta.root.className;
        if (rule === 'cascade' && !deleted.includes(name)) {
          deleted.push(name);
          changed.add(name);
        } else if (rule === 'cascade' || rule === 'set null' || rule === 'set default') {
          changed.add(name);
        }
      }
    }
  }
  const writes = [...changed].map((name): Written => [name, undefined]);
  byRoot.set(root, writes);
  return writes;
}

/** Which entities (and, when the write is by primary key, which keys) a driver call writes. */
function written(
  metadata: MetadataStorage,
  config: Configuration,
  method: WriteMethod,
  args: readonly unknown[],
): Written[] {
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
    return [...names].map((name): Written => [metadata.getByClassName(name, false)?.root.className ?? name, undefined]);
  }
  const meta = metadata.find(args[0] as never);
  if (!meta) {
    return [];
  }
  const name = meta.root.className;
  if (method === 'nativeDelete') {
    return [[name, idsOf(meta, args[1])], ...cascadedBy(metadata, config, name)];
  }
  if (method === 'nativeUpdate') {
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
