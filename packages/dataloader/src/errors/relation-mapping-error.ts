import { StratumError } from '@stratum/core';

/**
 * A relation's metadata does not map the way a loader reads it: an M:N relation whose pivot entity
 * has no reference on the join columns the relation declares (a hand-written pivot entity whose
 * columns were renamed, say). Thrown by the first load of that relation, before any query.
 *
 * @example
 * ```ts
 * await loaders(em).collection(Track, 'playlists').load(1);
 * // RelationMappingError [E_RELATION_MAPPING]: Track.playlists: no reference of pivot entity PlaylistTrack has columns track_id
 * ```
 */
export class RelationMappingError extends StratumError<'E_RELATION_MAPPING'> {
  static override readonly code = 'E_RELATION_MAPPING' as const;
  /** The entity that owns the pivot, e.g. `PlaylistTrack`. */
  readonly pivot: string;
  /** The join columns no reference of the pivot has. */
  readonly columns: readonly string[];

  constructor(relation: string, pivot: string, columns: readonly string[]) {
    super(`${relation}: no reference of pivot entity ${pivot} has columns ${columns.join(', ')}`);
    this.pivot = pivot;
    this.columns = columns;
  }
}
