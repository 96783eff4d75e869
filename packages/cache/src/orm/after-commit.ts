import type { EntityManager, EventManager, EventSubscriber, TransactionEventArgs } from '@mikro-orm/core';
import { CacheSetupError } from '../errors/cache-setup-error.js';

type Task = () => Promise<void>;

/** Tasks waiting for the end of a transaction, per database connection (a savepoint shares its root's). */
const pending = new WeakMap<object, Task[]>();

interface KyselyTransaction {
  savepointName?: string;
  getExecutor(): { provideConnection<T>(consumer: (connection: object) => Promise<T>): Promise<T> };
}

/** The database connection of a transaction: the same object for a root transaction and its savepoints. */
async function connectionOf(transaction: unknown): Promise<object | undefined> {
  const trx = transaction as Partial<KyselyTransaction> | undefined;
  if (typeof trx?.getExecutor !== 'function') return undefined;
  return trx.getExecutor().provideConnection(async (connection) => connection);
}

/**
 * The subscriber that runs the tasks of a connection when its ROOT transaction ends (savepoints
 * releasing do not count). After a rollback the tasks run too: an invalidation nobody needed costs a
 * cache miss, one skipped would cost a stale read.
 */
export const afterCommitSubscriber: EventSubscriber = {
  async afterTransactionCommit(args: TransactionEventArgs) {
    await runPending(args.transaction);
  },
  async afterTransactionRollback(args: TransactionEventArgs) {
    await runPending(args.transaction);
  },
};

async function runPending(transaction: unknown): Promise<void> {
  if ((transaction as { savepointName?: string } | undefined)?.savepointName) return;
  const connection = await connectionOf(transaction);
  if (connection === undefined) return;
  const tasks = pending.get(connection);
  if (!tasks) return;
  pending.delete(connection);
  await Promise.all(tasks.map((task) => task()));
}

/** Whether the after-commit subscriber is installed on this event manager (see `enableCache`). */
export function hasAfterCommit(events: EventManager): boolean {
  return events.getSubscribers().has(afterCommitSubscriber);
}

/**
 * Runs `task` now when `em` is not in a transaction, else when its root transaction has ended.
 * Inside a transaction it needs `enableCache(orm)` (the subscriber), or it throws CacheSetupError.
 *
 * @example
 * ```ts
 * await runAfterCommit(em, () => cache.invalidate({ tags: ['Track:42'] }));
 * ```
 */
export async function runAfterCommit(em: EntityManager, task: Task): Promise<void> {
  if (!em.isInTransaction()) {
    await task();
    return;
  }
  if (!hasAfterCommit(em.getEventManager())) {
    throw new CacheSetupError(
      'Cache invalidation inside a transaction needs enableCache(orm) (from @stratum/cache), called once after ' +
        'MikroORM.init and before the first transaction: it runs the invalidation after the commit. Invalidating ' +
        'now would let another request cache the old rows again before the commit.',
    );
  }
  const connection = await connectionOf(em.getTransactionContext());
  if (connection === undefined) {
    await task();
    return;
  }
  const tasks = pending.get(connection) ?? [];
  tasks.push(task);
  pending.set(connection, tasks);
}
