/**
 * What `fn` throws (`undefined` when it returns): for tests that check several properties of a
 * synchronous error.
 *
 * @example
 * const error = catchError(() => new SqlFingerprinter({ capacity: 0 }));
 * expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
 */
export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
