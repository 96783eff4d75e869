import { InvalidArgumentError } from '@stratum/core';

/**
 * The longest TTL (and stale-while-revalidate window) Stratum's caches accept, in ms:
 * `Number.MAX_SAFE_INTEGER` (about 285 000 years). Every value up to it is a whole number of ms in
 * JavaScript, is accepted by Redis as `PX` / `PEXPIRE` (Redis takes up to 2^63 − 1 ms minus the
 * current time; anything above, or a number JavaScript would print as `1e+21`, is refused with
 * "invalid expire time" and the entry would silently never be written), and by the memory store's
 * LRU. Past it, a TTL cannot be honoured exactly anywhere.
 */
export const MAX_TTL_MS = Number.MAX_SAFE_INTEGER;

/**
 * `value` if it is a TTL a cache can honour: a number of ms from 1 to {@link MAX_TTL_MS}. Fractions
 * of a ms above 1 are allowed and rounded up by the stores (Redis counts whole ms). A TTL below 1 ms
 * — `0.5`, `0`, a negative number — would expire before any read could see it (Redis refuses
 * `PX 0`), so it is refused as well, with an {@link InvalidArgumentError} naming `name`.
 *
 * @example
 * ```ts
 * ttlMs('@Cached() options.ttl', 60_000); // 60000
 * ttlMs('@Cached() options.ttl', 0.5); // throws InvalidArgumentError [E_INVALID_ARGUMENT]
 * ```
 */
export function ttlMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_TTL_MS) {
    throw new InvalidArgumentError(name, `a positive number of milliseconds from 1 to ${MAX_TTL_MS}`, value);
  }
  return value;
}
