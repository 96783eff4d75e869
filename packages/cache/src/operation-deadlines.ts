import { performance } from 'node:perf_hooks';

/** One operation waiting for its outcome: when it times out, and how. */
interface Pending {
  readonly deadline: number;
  readonly timeOut: () => void;
}

/**
 * Bounds operations by one timeout with ONE timer for all of them, instead of a timer per
 * operation: every operation gets the same timeout, so the order they start in is the order they
 * time out in, and the timer only ever needs the oldest one still running. A hit then pays a set
 * insertion and a clock read, not a `setTimeout` and a `clearTimeout` (see "The Redis hit path" in
 * docs/decisions.md). The timer is unref'd: a pending operation never keeps the process alive by
 * itself.
 *
 * @example
 * ```ts
 * const deadlines = new OperationDeadlines(200);
 * const reply = await deadlines.run(() => redis.get('k'), () => new Error('no reply within 200 ms'));
 * ```
 */
export class OperationDeadlines {
  readonly timeoutMs: number;
  /** Insertion order is deadline order: every operation gets the same timeout. */
  readonly #pending = new Set<Pending>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /**
   * `fn()`'s outcome, or `timeoutError()` as a rejection once `timeoutMs` have passed without one (a
   * late outcome is then dropped). A synchronous throw of `fn` is a rejection too.
   */
  run<R>(fn: () => Promise<R>, timeoutError: () => Error): Promise<R> {
    let operation: Promise<R>;
    try {
      operation = fn();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<R>((resolve, reject) => {
      const pending: Pending = {
        deadline: performance.now() + this.timeoutMs,
        timeOut: () => reject(timeoutError()),
      };
      this.#pending.add(pending);
      if (this.#timer === undefined) this.#arm(this.timeoutMs);
      operation.then(
        (result) => {
          if (this.#pending.delete(pending)) resolve(result);
        },
        (error: unknown) => {
          if (this.#pending.delete(pending)) reject(error);
        },
      );
    });
  }

  /** Operations started and not settled or timed out yet. */
  get pending(): number {
    return this.#pending.size;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#sweep(), Math.max(1, ms));
    this.#timer.unref?.();
  }

  /** Times out every operation past its deadline, then waits for the oldest one left, if any. */
  #sweep(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const pending of this.#pending) {
      if (pending.deadline > now) {
        this.#arm(Math.ceil(pending.deadline - now));
        return;
      }
      this.#pending.delete(pending);
      pending.timeOut();
    }
  }
}
