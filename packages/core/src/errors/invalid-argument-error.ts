import { describeValue, StratumError } from './stratum-error.js';

/**
 * An argument has the wrong type or is out of range. The message states what was expected,
 * then what was received.
 *
 * @example
 * ```ts
 * await tracks.findPage({ page: 0 });
 * // InvalidArgumentError [E_INVALID_ARGUMENT]: page must be a positive integer, but got: 0.
 * ```
 */
export class InvalidArgumentError extends StratumError<'E_INVALID_ARGUMENT'> {
  static override readonly code = 'E_INVALID_ARGUMENT' as const;
  readonly argument: string;
  readonly received: unknown;

  constructor(argument: string, expected: string, received: unknown) {
    super(`${argument} must be ${expected}, but got: ${describeValue(received)}.`);
    this.argument = argument;
    this.received = received;
  }
}
