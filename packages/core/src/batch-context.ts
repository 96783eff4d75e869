import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A batched load in progress: one query made for many callers (a Stratum loader's batch, a
 * `@Batched` method's batch call). Profilers read it with {@link currentBatch}: the queries of a
 * batch are the cure for N+1, never an N+1 themselves, even when the same loader runs once per level
 * of a tree.
 *
 * @example
 * ```ts
 * await runInBatch({ loader: 'collection:Album.tracks', keys: 20 }, () => em.find(Track, { album: ids }));
 * ```
 */
export interface StratumBatch {
  /** What batched the calls, e.g. `collection:Album.tracks` or `TrackRepository.findManyByComposer`. */
  readonly loader: string;
  /** How many distinct keys the batch answers. */
  readonly keys: number;
}

const storage = new AsyncLocalStorage<StratumBatch>();

/**
 * Runs `fn` as the batch `batch` (see {@link StratumBatch}); the queries it sends carry it.
 *
 * @example
 * ```ts
 * const tracks = await runInBatch({ loader: 'tracksByComposer', keys: composers.length }, () =>
 *   em.find(Track, { composer: { $in: composers } }),
 * );
 * ```
 */
export function runInBatch<T>(batch: StratumBatch, fn: () => T): T {
  return storage.run(batch, fn);
}

/**
 * The batch the current async context runs in, or `undefined`.
 *
 * @example
 * ```ts
 * currentBatch(); // undefined outside a loader's batch; { loader: 'entity:Album', keys: 12 } inside one
 * ```
 */
export function currentBatch(): StratumBatch | undefined {
  return storage.getStore();
}
