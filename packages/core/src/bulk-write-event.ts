import type { Configuration } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';

/**
 * Reported after a BaseRepository bulk write has run (its transaction, or savepoint, done): which
 * rows of which entity changed. Caches and request-scoped loaders use it to forget those rows.
 */
export interface BulkWriteEvent {
  /** The entity class name. */
  readonly entity: string;
  readonly operation: 'insert' | 'upsert' | 'update' | 'delete';
  /** Primary keys of the rows written; `undefined` when the write was by filter (`deleteMany(where)`). */
  readonly ids: readonly unknown[] | undefined;
  /** The filter of a write by filter. */
  readonly where?: unknown;
  /** The EntityManager the write ran on; `em.isInTransaction()` tells whether an outer transaction is still open. */
  readonly em: SqlEntityManager;
}

/** Called after each bulk write; an error it throws reaches the caller of the bulk method. */
export type BulkWriteListener = (event: BulkWriteEvent) => void | Promise<void>;

const listeners = new WeakMap<Configuration, Set<BulkWriteListener>>();

/**
 * Subscribes to the bulk writes of one MikroORM instance (every EntityManager fork of it). Returns
 * the unsubscribe function.
 *
 * @example
 * ```ts
 * const off = onBulkWrite(orm, event => {
 *   if (event.entity === 'Track') cache.deleteMany(event.ids ?? []);
 * });
 * await orm.em.fork().getRepository(Track).updateMany([1, 2], { unitPrice: 1.29 }); // listener gets ids [1, 2]
 * off();
 * ```
 */
export function onBulkWrite(orm: { readonly config: Configuration }, listener: BulkWriteListener): () => void {
  let set = listeners.get(orm.config);
  if (!set) {
    set = new Set();
    listeners.set(orm.config, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

/** Tells every listener of `event.em`'s MikroORM instance, in subscription order. */
export async function emitBulkWrite(event: BulkWriteEvent): Promise<void> {
  const set = listeners.get(event.em.config);
  if (!set) {
    return;
  }
  for (const listener of [...set]) {
    await listener(event);
  }
}
