import { traceBatchCaller } from '@stratum/core/internal';
import DataLoader from 'dataloader';

/** A batch function that also receives where each key was asked for (see `traceBatchCaller`). */
export type TracedBatchFn<K, V> = (
  keys: readonly K[],
  callers: readonly (object | undefined)[] | undefined,
) => PromiseLike<readonly (V | Error)[]>;

/**
 * A DataLoader that remembers where each key of a batch was asked for: DataLoader runs the batch a
 * tick after the `load` calls, when only its own dispatch is on the stack, so a profiler could not
 * tell a loader awaited in a loop (a batch of one key per iteration, from one place) from a tree's
 * levels. The caller of a key is traced only when it goes into a batch (not for a cache hit), and
 * only while a profiler listens (`traceBatchCaller()` is otherwise `undefined`, nothing is kept).
 *
 * @example
 * ```ts
 * const loader = new TracedDataLoader<number, Album | null>((ids, callers) => loadAlbums(ids), { cacheKeyFn: String });
 * ```
 */
export class TracedDataLoader<K, V> extends DataLoader<K, V, string> {
  readonly #cache: Map<string, Promise<V>>;
  readonly #cacheKey: (key: K) => string;
  /** The caller of each key waiting for its batch, by cache key. */
  readonly #callers = new Map<string, object>();

  constructor(batch: TracedBatchFn<K, V>, options: { maxBatchSize: number; cacheKeyFn: (key: K) => string }) {
    const cache = new Map<string, Promise<V>>();
    // The batch function runs a tick after a load at the earliest, long after the constructor.
    super((keys) => batch(keys, this.#takeCallers(keys)), { ...options, cacheMap: cache });
    this.#cache = cache;
    this.#cacheKey = options.cacheKeyFn;
  }

  override load(key: K): Promise<V> {
    const caller = traceBatchCaller();
    if (caller !== undefined && key !== null && key !== undefined) {
      const hash = this.#cacheKey(key);
      if (!this.#cache.has(hash)) {
        this.#callers.set(hash, caller);
      }
    }
    return super.load(key);
  }

  #takeCallers(keys: readonly K[]): (object | undefined)[] | undefined {
    if (this.#callers.size === 0) {
      return undefined;
    }
    return keys.map((key) => {
      const hash = this.#cacheKey(key);
      const caller = this.#callers.get(hash);
      this.#callers.delete(hash);
      return caller;
    });
  }
}
