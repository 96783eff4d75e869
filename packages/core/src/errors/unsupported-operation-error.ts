import { StratumError } from './stratum-error.js';

/**
 * The operation cannot be done for this entity or driver (for example an id-list bulk update of
 * an entity with a composite primary key, or a bulk path on a driver Stratum has no dialect for).
 *
 * @example
 * ```ts
 * await playlistTracks.deleteMany([[1, 2]]);
 * // UnsupportedOperationError [E_UNSUPPORTED_OPERATION]: deleteMany(ids) needs a single-column primary key ...
 * ```
 */
export class UnsupportedOperationError extends StratumError<'E_UNSUPPORTED_OPERATION'> {
  static override readonly code = 'E_UNSUPPORTED_OPERATION' as const;
}
