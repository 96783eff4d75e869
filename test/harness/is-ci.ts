/** Environment variables as `process.env` holds them; tests pass their own. */
export type Env = Readonly<Record<string, string | undefined>>;

const FALSY = new Set(['', '0', 'false', 'no', 'off']);

/**
 * Whether the run is a CI run: `CI` is set to anything but an empty/false-ish value
 * (`''`, `0`, `false`, `no`, `off`, case-insensitive). `CI=true` and `CI=1` both count.
 *
 * @example
 * isCi({ CI: 'true' }); // true
 * isCi({ CI: 'false' }); // false
 * isCi({}); // false
 */
export function isCi(env: Env = process.env): boolean {
  const value = env.CI;
  return value !== undefined && !FALSY.has(value.trim().toLowerCase());
}
