/**
 * The base class of every error Stratum raises on purpose. Each subclass has a stable `code`
 * (also on the class, as `static code`) so callers can branch on it without parsing messages; on
 * an instance of a subclass, `code` is typed as that subclass's literal (`InvalidCursorError#code`
 * is `'E_INVALID_CURSOR'`), so a `switch` over it is checked by TypeScript.
 *
 * @example
 * ```ts
 * try {
 *   await tracks.findPage({ perPage: 0 });
 * } catch (error) {
 *   if (error instanceof StratumError && error.code === 'E_INVALID_ARGUMENT') {
 *     console.log(error.message); // perPage must be a positive integer, but got: 0.
 *   }
 * }
 * ```
 */
export class StratumError<Code extends string = string> extends Error {
  static readonly code: string = 'E_STRATUM';
  readonly code: Code;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as typeof StratumError).code as Code;
  }
}

/** Renders a received value for an error message: short, unambiguous, never `[object Object]`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  if (typeof value === 'bigint') {
    return `${value}n`;
  }
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
