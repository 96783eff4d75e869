import { Collection, EntityRepositoryType, type Rel } from '@mikro-orm/core';
import { Entity, ManyToMany, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TrackRepository } from '../repositories/track-repository.js';
import { Album } from './album.js';
import { Genre } from './genre.js';
import { InvoiceLine } from './invoice-line.js';
import { MediaType } from './media-type.js';
import { Playlist } from './playlist.js';

/** A track of an album (table `track`, FKs `album_id`, `media_type_id`, `genre_id`). */
@Entity({ repository: () => TrackRepository })
export class Track {
  [EntityRepositoryType]?: TrackRepository;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @ManyToOne(() => Album, { nullable: true, index: true })
  album!: Rel<Album> | null;

  @ManyToOne(() => MediaType, { index: true })
  mediaType!: Rel<MediaType>;

  @ManyToOne(() => Genre, { nullable: true, index: true })
  genre!: Rel<Genre> | null;

  @Property({ type: 'string', length: 220, nullable: true })
  composer!: string | null;

  @Property({ type: 'integer' })
  milliseconds!: number;

  @Property({ type: 'integer', nullable: true })
  bytes!: number | null;

  @Property({ type: 'decimal', precision: 10, scale: 2, runtimeType: 'number' })
  unitPrice!: number;

  @ManyToMany(
    () => Playlist,
    (playlist) => playlist.tracks,
  )
  playlists = new Collection<Playlist>(this);

  @OneToMany(
    () => InvoiceLine,
    (line) => line.track,
  )
  invoiceLines = new Collection<InvoiceLine>(this);
}
