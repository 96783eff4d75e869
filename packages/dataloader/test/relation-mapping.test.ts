// A many-to-many whose pivot entity has no reference on the join columns the relation declares: the
// loaders refuse it with a typed error when it is asked for, before any query.
import { StratumError } from '@stratum/core';
import { expect, it } from 'vitest';
import { Playlist, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { catchError } from '../../../test/support/catch-error.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { loaders, RelationMappingError } from '../src/index.js';

describeEachDriver('loaders on a pivot that does not map', (ctx) => {
  const chinook = useChinook(ctx);

  it('throws a RelationMappingError naming the relation, the pivot and the columns, from either side', () => {
    const em = chinook.em();
    const owner = em.getMetadata().get(Playlist).properties.tracks;
    const joinColumns = owner.joinColumns;
    owner.joinColumns = ['renamed_playlist_id'];
    try {
      chinook.resetQueries();
      for (const [entity, relation, label] of [
        [Playlist, 'tracks', 'Playlist.tracks'],
        [Track, 'playlists', 'Track.playlists'],
      ] as const) {
        const error = catchError(() => loaders(em).collection(entity as typeof Playlist, relation as 'tracks'));
        expect(error).toBeInstanceOf(RelationMappingError);
        expect(error).toBeInstanceOf(StratumError);
        expect(error).toMatchObject({
          code: 'E_RELATION_MAPPING',
          pivot: 'PlaylistTrack',
          columns: ['renamed_playlist_id'],
        });
        expect((error as Error).message).toBe(
          `${label}: no reference of pivot entity PlaylistTrack has columns renamed_playlist_id`,
        );
        expect(() => loaders(em).count(entity as typeof Playlist, relation as 'tracks')).toThrow(RelationMappingError);
      }
      expect(chinook.queries).toHaveLength(0);
    } finally {
      owner.joinColumns = joinColumns;
    }
  });
});
