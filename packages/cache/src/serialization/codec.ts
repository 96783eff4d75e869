import { InvalidArgumentError } from '@stratum/core';
import { Packr } from 'msgpackr';
import { CacheValueError } from '../errors/cache-value-error.js';
import { walkValue } from './walk-value.js';

/** The default size limit of one encoded value: 4 MiB (a larger cached value is almost always a mistake). */
export const DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024;

/**
 * One msgpackr instance for every encode/decode. Options:
 * - `structuredClone`: keeps Map, Set, RegExp, typed arrays and their types, and cycles and shared
 *   references (an object referenced twice decodes as one object); it turns on `moreTypes`.
 * - `useBigIntExtension`: bigints of any size round-trip as bigints (int64 ones are plain msgpack).
 * - records (`useRecords`, the default) stay on: each buffer carries its own record definitions (no
 *   shared `structures`), so any process decodes any buffer, and plain objects decode as objects
 *   while `Map`s decode as `Map`s.
 * - `useToJSON: false`: encodes data, not an API shape a `toJSON()` may return.
 * - `copyBuffers`: a decoded Buffer owns its bytes instead of pinning the whole Redis reply.
 */
const packr = new Packr({
  structuredClone: true,
  moreTypes: true,
  useBigIntExtension: true,
  useToJSON: false,
  copyBuffers: true,
});

/**
 * Encodes a cache value to msgpack. Date, BigInt, Map, Set, Buffer, typed arrays, RegExp, nested
 * objects and arrays, cycles and shared references survive {@link decodeValue}; `-0` decodes as `0`.
 * Throws {@link CacheValueError} for what cannot be cached (see {@link assertSerializable}) and when
 * the encoding is larger than `maxBytes` (`InvalidArgumentError` if `maxBytes` is not positive). The
 * returned Buffer may be a view into a larger slab msgpackr allocated: send it, don't keep it for long.
 *
 * @example
 * ```ts
 * import { decodeValue, encodeValue } from '@stratum/cache';
 *
 * const buffer = encodeValue({ at: new Date(), total: 10n ** 30n, ids: new Set([1, 2]) });
 * const copy = decodeValue(buffer) as { total: bigint };
 * console.log(copy.total); // 1000000000000000000000000000000n
 * ```
 */
export function encodeValue(value: unknown, maxBytes: number = DEFAULT_MAX_VALUE_BYTES): Buffer {
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) {
    throw new InvalidArgumentError('maxBytes', 'a positive number of bytes', maxBytes);
  }
  walkValue(value, false);
  let encoded: Buffer;
  try {
    encoded = packr.pack(value);
  } catch (cause) {
    throw new CacheValueError(`Cannot cache the value: msgpackr could not encode it (${messageOf(cause)}).`, {
      cause,
    });
  }
  if (encoded.length > maxBytes) {
    throw new CacheValueError(
      `Cannot cache the value: it encodes to ${encoded.length} bytes, over the limit of ${maxBytes} bytes.`,
      { bytes: encoded.length, maxBytes },
    );
  }
  return encoded;
}

/**
 * Decodes what {@link encodeValue} wrote. Throws {@link CacheValueError} when the bytes are not a
 * value it wrote (corrupt, truncated, or written by something else); a store treats that as a miss.
 *
 * @example
 * ```ts
 * import { decodeValue, encodeValue } from '@stratum/cache';
 *
 * const map = decodeValue(encodeValue(new Map([[1, 'one']]))) as Map<number, string>;
 * console.log(map.get(1)); // one
 * ```
 */
export function decodeValue(buffer: Uint8Array): unknown {
  try {
    return packr.unpack(buffer);
  } catch (cause) {
    throw new CacheValueError(
      `Cannot decode a cached value of ${buffer.length} bytes: ${messageOf(cause)}. Was it written by encodeValue?`,
      { cause, bytes: buffer.length },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
