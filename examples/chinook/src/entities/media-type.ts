import { Collection } from '@mikro-orm/core';
import { Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Track } from './track.js';

/** A media (file) type, e.g. "MPEG audio file" (table `media_type`). */
@Entity()
export class MediaType {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 120 })
  name!: string;

  @OneToMany(
    () => Track,
    (track) => track.mediaType,
  )
  tracks = new Collection<Track>(this);
}
