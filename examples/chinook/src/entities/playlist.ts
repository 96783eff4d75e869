import { Collection } from '@mikro-orm/core';
import { Entity, ManyToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { PlaylistTrack } from './playlist-track.js';
import { Track } from './track.js';

/**
 * A playlist (table `playlist`). Its tracks are M:N through the explicit pivot entity
 * {@link PlaylistTrack} (table `playlist_track`), so the pivot rows can be bulk-inserted too.
 */
@Entity()
export class Playlist {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 120 })
  name!: string;

  @ManyToMany({ entity: () => Track, pivotEntity: () => PlaylistTrack, owner: true, inversedBy: 'playlists' })
  tracks = new Collection<Track>(this);
}
