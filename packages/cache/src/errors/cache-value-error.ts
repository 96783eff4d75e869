import { StratumError } from '@stratum/core';

/** Where and why a value cannot be cached (see {@link CacheValueError}). */
export interface CacheValueErrorDetails {
  /** Where in the value the problem is, e.g. `value.tracks[3].album`. */
  readonly path?: string;
  /** The encoded size in bytes, when the value is too large. */
  readonly bytes?: number;
  /** The size limit it exceeds. */
  readonly maxBytes?: number;
  readonly cause?: unknown;
}

/**
 * A value cannot be cached: it holds something that does not survive serialization (a function, a
 * symbol, a class instance that would come back as a plain object), it is larger than the size limit,
 * or a stored value cannot be decoded. The message names the path inside the value, or the size.
 *
 * @example
 * ```ts
 * import { CacheValueError, encodeValue } from '@stratum/cache';
 *
 * try {
 *   encodeValue({ track: { play: () => {} } });
 * } catch (error) {
 *   if (error instanceof CacheValueError) console.log(error.code, error.path); // E_CACHE_VALUE value.track.play
 * }
 * ```
 */
export class CacheValueError extends StratumError<'E_CACHE_VALUE'> {
  static override readonly code = 'E_CACHE_VALUE' as const;
  readonly path: string | undefined;
  readonly bytes: number | undefined;
  readonly maxBytes: number | undefined;

  constructor(message: string, details: CacheValueErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.path = details.path;
    this.bytes = details.bytes;
    this.maxBytes = details.maxBytes;
  }
}
