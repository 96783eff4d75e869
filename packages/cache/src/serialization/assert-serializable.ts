import { encodeValue } from './codec.js';
import { walkValue } from './walk-value.js';

/**
 * Throws {@link CacheValueError} (`E_CACHE_VALUE`) unless `value` can be cached by every store:
 * only `null`, `undefined`, booleans, numbers, strings, bigints, `Date`, `RegExp`, `Map`, `Set`,
 * `Buffer`/typed arrays, arrays and plain objects — cycles and shared references included. Functions,
 * symbols and instances of other classes (entities, `Error`...) are rejected with the path to them,
 * since they would come back as something else. With `maxBytes`, the value is also encoded and
 * rejected, with its size, when the encoding is larger.
 *
 * @example
 * ```ts
 * import { assertSerializable } from '@stratum/cache';
 *
 * assertSerializable({ ids: [1, 2, 3] }); // fine
 * assertSerializable({ blob: Buffer.alloc(2_000_000) }, 1_000_000);
 * // CacheValueError [E_CACHE_VALUE]: Cannot cache the value: it encodes to 2000005 bytes, over the limit of 1000000 bytes.
 * ```
 */
export function assertSerializable(value: unknown, maxBytes?: number): void {
  if (maxBytes === undefined) {
    walkValue(value, false);
  } else {
    encodeValue(value, maxBytes);
  }
}
