/**
 * What calling `run` did, as a TC39 fixture runner reports it to its test: `'no error'`, or the
 * thrown error's name, code and message (a misused decorator must throw a typed error when the
 * class is defined).
 *
 * @example
 * ```ts
 * outcome(() => defineClassWithGetter()); // { name: 'InvalidDecoratorError', code: 'INVALID_DECORATOR', message: '…' }
 * ```
 */
export function outcome(run: () => unknown): unknown {
  try {
    run();
    return 'no error';
  } catch (error) {
    const { name, message, code } = error as { name: string; message: string; code?: unknown };
    return { name, code, message };
  }
}
