import { Collection, EntityRepositoryType } from '@mikro-orm/core';
import { Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { ArtistRepository } from '../repositories/artist-repository.js';
import { Album } from './album.js';

/** A recording artist (table `artist`). */
@Entity({ repository: () => ArtistRepository })
export class Artist {
  [EntityRepositoryType]?: ArtistRepository;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 120 })
  name!: string;

  /** In title order wherever MikroORM or Stratum's loaders load them. */
  @OneToMany(
    () => Album,
    (album) => album.artist,
    { orderBy: { title: 'asc' } },
  )
  albums = new Collection<Album>(this);
}
