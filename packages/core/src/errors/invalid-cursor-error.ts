import { describeValue, StratumError } from './stratum-error.js';

/**
 * A keyset cursor (`after` / `before`) was not produced by `findByCursor` for the same `orderBy`.
 *
 * @example
 * ```ts
 * await tracks.findByCursor({ orderBy: { name: 'asc' }, first: 10, after: 'garbage' });
 * // InvalidCursorError [E_INVALID_CURSOR]: after must be a cursor returned by findByCursor ...
 * ```
 */
export class InvalidCursorError extends StratumError<'E_INVALID_CURSOR'> {
  static override readonly code = 'E_INVALID_CURSOR' as const;
  readonly cursor: unknown;

  constructor(argument: 'after' | 'before', cursor: unknown, reason: string) {
    super(
      `${argument} must be a cursor returned by findByCursor (startCursor/endCursor) for the same orderBy, ` +
        `but got: ${describeValue(cursor)} (${reason}).`,
    );
    this.cursor = cursor;
  }
}
