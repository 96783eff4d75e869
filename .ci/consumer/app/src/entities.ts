// The consumer app's entities, as EntitySchema (no decorators: the same file serves both
// decorator modes and the vitest file).
import { EntitySchema } from '@mikro-orm/core';

export class Artist {
  id!: number;
  name!: string;
}

export class Song {
  id!: number;
  title!: string;
  seconds!: number;
  artist!: Artist;
}

export const ArtistSchema = new EntitySchema<Artist>({
  class: Artist,
  properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
});

export const SongSchema = new EntitySchema<Song>({
  class: Song,
  properties: {
    id: { type: 'number', primary: true },
    title: { type: 'string' },
    seconds: { type: 'number' },
    artist: { kind: 'm:1', entity: () => Artist },
  },
});
