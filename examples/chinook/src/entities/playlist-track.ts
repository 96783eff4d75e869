import { PrimaryKeyProp, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne } from '@mikro-orm/decorators/legacy';
import { Playlist } from './playlist.js';
import { Track } from './track.js';

/** Pivot of `Playlist.tracks` (table `playlist_track`, composite PK `(playlist_id, track_id)`). */
@Entity()
export class PlaylistTrack {
  [PrimaryKeyProp]?: ['playlist', 'track'];

  @ManyToOne(() => Playlist, { primary: true })
  playlist!: Rel<Playlist>;

  @ManyToOne(() => Track, { primary: true, index: true })
  track!: Rel<Track>;
}
