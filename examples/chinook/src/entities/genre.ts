import { Collection } from '@mikro-orm/core';
import { Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Track } from './track.js';

/** A music genre (table `genre`). */
@Entity()
export class Genre {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 120 })
  name!: string;

  @OneToMany(
    () => Track,
    (track) => track.genre,
  )
  tracks = new Collection<Track>(this);
}
