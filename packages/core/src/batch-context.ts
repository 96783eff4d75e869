import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A batched load in progress: one query made for many callers (a Stratum loader's batch, a
 * `@Batched` method's batch call, the second and later queries of `BaseRepository.stream` and
 * `findByIds`). Profilers read it with {@link currentBatch}: the queries of a batch are the cure for
 * N+1, never an N+1 themselves, even when the same loader runs once per level of a tree. A batch of
 * one key, asked for again and again from the same place, is the exception: a loader awaited inside
 * a loop (see {@link traceBatchCaller}).
 *
 * @example
 * ```ts
 * await runInBatch({ loader: 'collection:Album.tracks', keys: 20 }, () => em.find(Track, { album: ids }));
 * ```
 */
export interface StratumBatch {
  /** What batched the calls, e.g. `collection:Album.tracks`, `TrackRepository.findManyByComposer`, `TrackRepository.stream`. */
  readonly loader: string;
  /** How many distinct keys the batch answers (for a stream's page: how many rows it asks for). */
  readonly keys: number;
  /**
   * Where each key was asked for (what {@link traceBatchCaller} returned when `load(key)` was called),
   * in the keys' order; absent when no profiler traced the loads, and for batches no caller asked for
   * key by key (a stream's pages, a `findByIds` chunk).
   */
  readonly callers?: readonly (object | undefined)[];
}

/** Captures where a batched load is asked for (a call stack), or `undefined` when it need not. */
export type BatchCallerTracer = () => object | undefined;

const storage = new AsyncLocalStorage<StratumBatch>();
let tracer: BatchCallerTracer | undefined;

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

/**
 * Where the current call asks a batching loader for a key: loaders call it in `load(key)` (the
 * caller's frame is on the stack there; when the batch runs, a tick later, only the loader's own
 * dispatch is) and hand the result to {@link runInBatch} as `callers`. `undefined`, at the cost of
 * one variable read, unless a profiler installed a tracer with {@link setBatchCallerTracer}.
 *
 * @example
 * ```ts
 * load(key: K): Promise<V> {
 *   this.#callers.set(key, traceBatchCaller());
 *   return this.#enqueue(key);
 * }
 * ```
 */
export function traceBatchCaller(): object | undefined {
  return tracer === undefined ? undefined : tracer();
}

/**
 * Installs the function {@link traceBatchCaller} calls (one at a time; `undefined` removes it) and
 * returns the one it replaces. The profiler installs one that captures the call stack inside
 * `profile()` scopes, so that its N+1 detector can tell a loader awaited in a loop (one-key batches
 * from one place) from a tree's levels.
 *
 * @example
 * ```ts
 * const previous = setBatchCallerTracer(() => new Error('load called here'));
 * // ... later
 * setBatchCallerTracer(previous);
 * ```
 */
export function setBatchCallerTracer(next: BatchCallerTracer | undefined): BatchCallerTracer | undefined {
  const previous = tracer;
  tracer = next;
  return previous;
}
