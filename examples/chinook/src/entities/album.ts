import { Collection, EntityRepositoryType, type Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { AlbumRepository } from '../repositories/album-repository.js';
import { Artist } from './artist.js';
import { Track } from './track.js';

/** An album by one artist (table `album`, FK `artist_id`). */
@Entity({ repository: () => AlbumRepository })
export class Album {
  [EntityRepositoryType]?: AlbumRepository;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 160 })
  title!: string;

  @ManyToOne(() => Artist, { index: true })
  artist!: Rel<Artist>;

  @OneToMany(
    () => Track,
    (track) => track.album,
  )
  tracks = new Collection<Track>(this);
}
