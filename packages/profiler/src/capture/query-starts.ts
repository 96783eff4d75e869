import type { CallStack } from './call-stack.js';
import type { SqlText } from './sql-text-table.js';

/** A query's start while it runs: when, its SQL text's record, and its call stack if one was captured. */
interface Start {
  readonly at: number;
  readonly text: SqlText | undefined;
  readonly stack: CallStack | undefined;
}

/**
 * The starts of one ORM's queries in flight, keyed by their params array: MikroORM hands the same
 * array to `onQuery` and to the logger. The common case, one query in flight at a time, uses one slot
 * (no hashing, no allocation); the slot is used only while no start waits in the WeakMap, so it always
 * holds the oldest start (first in, first out for a params array sent twice at once). A start whose
 * query never reaches the logger (formatting threw) only sends later queries through the WeakMap:
 * slower, never wrong.
 *
 * @example
 * ```ts
 * const starts = new QueryStarts();
 * starts.add(params, performance.now(), text, undefined);
 * starts.take(params);
 * starts.takenAt; // when that query started (undefined: no start recorded for it)
 * ```
 */
export class QueryStarts {
  #slotParams: object | undefined;
  #slotAt = 0;
  #slotText: SqlText | undefined;
  #slotStack: CallStack | undefined;
  readonly #waiting = new WeakMap<object, Start | Start[]>();
  #waitingCount = 0;
  // What take() found: three fields rather than an object, so the common path allocates nothing.
  takenAt: number | undefined;
  takenText: SqlText | undefined;
  takenStack: CallStack | undefined;

  /** Records the start of a query sent with `params`. */
  add(params: object, at: number, text: SqlText | undefined, stack: CallStack | undefined): void {
    if (this.#slotParams === undefined && this.#waitingCount === 0) {
      this.#slotParams = params;
      this.#slotAt = at;
      this.#slotText = text;
      this.#slotStack = stack;
      return;
    }
    const start: Start = { at, text, stack };
    const pending = this.#waiting.get(params);
    this.#waiting.set(
      params,
      pending === undefined ? start : Array.isArray(pending) ? [...pending, start] : [pending, start],
    );
    this.#waitingCount++;
  }

  /** Takes the start recorded for `params` (the oldest first) into `taken*`; `takenAt` is undefined if none. */
  take(params: object): void {
    if (params === this.#slotParams) {
      this.#slotParams = undefined;
      this.takenAt = this.#slotAt;
      this.takenText = this.#slotText;
      this.takenStack = this.#slotStack;
      this.#slotText = undefined;
      this.#slotStack = undefined;
      return;
    }
    const pending = this.#waiting.get(params);
    let start: Start | undefined;
    if (pending !== undefined) {
      this.#waitingCount--;
      if (!Array.isArray(pending)) {
        this.#waiting.delete(params);
        start = pending;
      } else {
        start = pending.shift();
        if (pending.length === 0) this.#waiting.delete(params);
      }
    }
    this.takenAt = start?.at;
    this.takenText = start?.text;
    this.takenStack = start?.stack;
  }

  /** Forgets what {@link take} found (it holds a text and a stack). */
  clearTaken(): void {
    this.takenText = undefined;
    this.takenStack = undefined;
  }
}
