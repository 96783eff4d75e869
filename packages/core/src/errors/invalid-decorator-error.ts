import { StratumError } from './stratum-error.js';

/**
 * A decorator was applied to something it cannot decorate (e.g. `@Timed()` on a getter, a field or a
 * class). Thrown when the class is defined, not when it is used.
 *
 * @example
 * ```ts
 * class Report {
 *   @Timed() get total() { return 1; }
 * }
 * // InvalidDecoratorError [E_INVALID_DECORATOR]: @Timed() must decorate a method, but was applied to the getter Report.total.
 * ```
 */
export class InvalidDecoratorError extends StratumError<'E_INVALID_DECORATOR'> {
  static override readonly code = 'E_INVALID_DECORATOR' as const;
  /** The decorator, e.g. `@Timed()`. */
  readonly decorator: string;
  /** What it was applied to, e.g. `the getter Report.total`. */
  readonly target: string;

  constructor(decorator: string, expected: string, target: string) {
    super(`${decorator} must decorate ${expected}, but was applied to ${target}.`);
    this.decorator = decorator;
    this.target = target;
  }
}
