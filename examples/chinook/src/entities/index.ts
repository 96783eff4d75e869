import { Album } from './album.js';
import { Artist } from './artist.js';
import { Customer } from './customer.js';
import { Employee } from './employee.js';
import { Genre } from './genre.js';
import { Invoice } from './invoice.js';
import { InvoiceLine } from './invoice-line.js';
import { MediaType } from './media-type.js';
import { Playlist } from './playlist.js';
import { PlaylistTrack } from './playlist-track.js';
import { Track } from './track.js';

export { Album, Artist, Customer, Employee, Genre, Invoice, InvoiceLine, MediaType, Playlist, PlaylistTrack, Track };

/** Every Chinook entity, for the `entities` option of the MikroORM config. */
export const entities = [
  Genre,
  MediaType,
  Artist,
  Album,
  Track,
  Playlist,
  PlaylistTrack,
  Employee,
  Customer,
  Invoice,
  InvoiceLine,
];
