import { traceBatchCaller } from '@stratum/core/internal';
import { keyHash, primaryKeyOf } from '../key-hash.js';
import { BatchResultError } from './batch-result-error.js';
import type { ResolvedBatchedOptions } from './batched-options.js';

/** One caller waiting for a key. */
interface Waiter {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  /** Where the key was asked for, when a profiler traces loads (`traceBatchCaller`). */
  readonly caller: object | undefined;
}

/** The distinct keys of one tick, each with its callers, in first-call order. */
type Queue = Map<unknown, Waiter[]>;

const resolved = Promise.resolve();

/**
 * Runs `dispatch` once the current tick's promise jobs have run (a promise job that queues a
 * `process.nextTick`, as DataLoader does): calls made in the same tick, including those made by
 * `await` continuations resolved in that tick, land in one batch.
 */
function afterPromiseJobs(dispatch: () => void): void {
  void resolved.then(() => process.nextTick(dispatch));
}

/**
 * The batching of one `@Batched` method on one instance: collects the keys of a tick, calls the
 * batch method once per `maxBatchSize` distinct keys, and settles each caller with its own value or
 * error. Nothing is cached: the next tick starts an empty batch.
 *
 * @example
 * ```ts
 * const batcher = new KeyBatcher((keys) => repo.findManyByComposer(keys), options, () => 'TrackRepository.findManyByComposer');
 * const [a, b] = await Promise.all([batcher.load('AC/DC'), batcher.load('U2')]); // one call
 * ```
 */
export class KeyBatcher {
  readonly #call: (keys: readonly unknown[], callers: readonly (object | undefined)[] | undefined) => unknown;
  readonly #options: ResolvedBatchedOptions;
  readonly #describe: () => string;
  #queue: Queue = new Map();
  #scheduled = false;

  /**
   * @param call calls the batch method with the distinct keys (may throw or return a promise); `callers`
   *   says where each key was first asked for, when a profiler traces loads.
   * @param describe names the batch method in error messages, e.g. `TrackRepository.findManyByComposer`.
   */
  constructor(
    call: (keys: readonly unknown[], callers: readonly (object | undefined)[] | undefined) => unknown,
    options: ResolvedBatchedOptions,
    describe: () => string,
  ) {
    this.#call = call;
    this.#options = options;
    this.#describe = describe;
  }

  /** The value (or error) of `key`, from the batch this tick's calls make. */
  load(key: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const waiters = this.#queue.get(key);
      if (waiters === undefined) {
        this.#queue.set(key, [{ resolve, reject, caller: traceBatchCaller() }]);
      } else {
        waiters.push({ resolve, reject, caller: undefined });
      }
      if (!this.#scheduled) {
        this.#scheduled = true;
        afterPromiseJobs(() => this.#dispatch());
      }
    });
  }

  #dispatch(): void {
    const queue = this.#queue;
    this.#queue = new Map();
    this.#scheduled = false;
    const keys = [...queue.keys()];
    const size = this.#options.maxBatchSize;
    if (keys.length <= size) {
      void this.#run(keys, queue);
      return;
    }
    for (let start = 0; start < keys.length; start += size) {
      void this.#run(keys.slice(start, start + size), queue);
    }
  }

  async #run(keys: unknown[], queue: Queue): Promise<void> {
    let result: unknown;
    try {
      result = await this.#call(keys, callersOf(keys, queue));
    } catch (error) {
      for (const key of keys) {
        for (const waiter of queue.get(key) as Waiter[]) waiter.reject(error);
      }
      return;
    }
    let settle: (key: unknown, index: number) => { value: unknown } | { error: unknown };
    try {
      settle = this.#matcher(keys, result);
    } catch (error) {
      for (const key of keys) {
        for (const waiter of queue.get(key) as Waiter[]) waiter.reject(error);
      }
      return;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const outcome = settle(key, i);
      const waiters = queue.get(key) as Waiter[];
      for (let j = 0; j < waiters.length; j++) {
        const waiter = waiters[j] as Waiter;
        if ('error' in outcome) {
          waiter.reject(outcome.error);
        } else {
          // With many: true, each caller of a key gets an array of its own (the rows are shared).
          waiter.resolve(j > 0 && this.#options.many ? [...(outcome.value as unknown[])] : outcome.value);
        }
      }
    }
  }

  /** How to find each key's outcome in `result`; throws a {@link BatchResultError} when it cannot. */
  #matcher(
    keys: readonly unknown[],
    result: unknown,
  ): (key: unknown, index: number) => { value: unknown } | { error: unknown } {
    const { key: property, many } = this.#options;
    if (property !== undefined) {
      if (!Array.isArray(result)) {
        throw new BatchResultError(
          this.#describe(),
          keys.length,
          `returned ${describeResult(result)}: with options.key ${JSON.stringify(property)} it must return an array of rows.`,
        );
      }
      const byKey = new Map<unknown, unknown[]>();
      for (const row of result) {
        const value = matchValue((row as Record<string, unknown> | null | undefined)?.[property]);
        const rows = byKey.get(value);
        if (rows === undefined) {
          byKey.set(value, [row]);
        } else {
          rows.push(row);
        }
      }
      return many
        ? (key) => ({ value: byKey.get(matchValue(key)) ?? [] })
        : (key) => ({ value: byKey.get(matchValue(key))?.[0] ?? null });
    }
    if (result instanceof Map) {
      return (key) => {
        const value = result.has(key) ? result.get(key) : null;
        return value instanceof Error ? { error: value } : { value };
      };
    }
    if (Array.isArray(result)) {
      if (result.length !== keys.length) {
        throw new BatchResultError(
          this.#describe(),
          keys.length,
          `returned ${result.length} items for ${keys.length} keys: it must return one item per key, in the order ` +
            'of the keys (a value, or an Error for that key alone), or a Map from key to value.',
        );
      }
      return (_key, index) => {
        const value: unknown = result[index];
        return value instanceof Error ? { error: value } : { value };
      };
    }
    throw new BatchResultError(
      this.#describe(),
      keys.length,
      `returned ${describeResult(result)}: it must return an array with one item per key, in the order of the keys, ` +
        'or a Map from key to value.',
    );
  }
}

/** The first caller of each key, in the keys' order; `undefined` when none was traced. */
function callersOf(keys: readonly unknown[], queue: Queue): (object | undefined)[] | undefined {
  const callers = keys.map((key) => (queue.get(key) as Waiter[])[0]?.caller);
  return callers.some((caller) => caller !== undefined) ? callers : undefined;
}

function describeResult(result: unknown): string {
  if (result === null || result === undefined) {
    return String(result);
  }
  if (typeof result === 'object') {
    return `an object (${(result as { constructor?: { name?: string } }).constructor?.name ?? 'Object'})`;
  }
  return `a ${typeof result}`;
}

/**
 * What a key and a row's `key` property are matched by: the value itself (SameValueZero), an entity
 * or reference as its primary key; a composite key (an array) and a `Date` by their hash, since two
 * equal ones are never the same object.
 */
function matchValue(value: unknown): unknown {
  const pk = primaryKeyOf(value);
  return Array.isArray(pk) || pk instanceof Date ? `\u0000${keyHash(pk)}` : pk;
}
