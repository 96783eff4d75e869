import { loaders } from '@stratum/dataloader';
import { Album, Artist, Customer, Employee, Genre, Invoice, MediaType, Playlist, Track } from '../entities/index.js';
import type { RelationResolvers } from './relation-resolvers.js';

/**
 * The resolvers with Stratum's loaders: each asks the request's loaders (`loaders(em)`) for its
 * row's relation, and graphql-js asks for every row of a level before the next level starts, so
 * each relation costs one query per request however many rows ask: `entity(T).load(id)` for a
 * many-to-one, `collection(T, 'rel').load(row)` for a 1:M or M:N, `count(T, 'rel').load(row)` for
 * a count.
 *
 * @example
 * ```ts
 * const schema = createChinookSchema('stratum'); // uses these
 * ```
 */
export const stratumResolvers: RelationResolvers = {
  Artist: {
    albums: (artist, _args, { em }) => loaders(em).collection(Artist, 'albums').load(artist),
    albumCount: (artist, _args, { em }) => loaders(em).count(Artist, 'albums').load(artist),
  },
  Album: {
    artist: (album, _args, { em }) => loaders(em).entity(Artist).load(album.artist.id),
    tracks: (album, _args, { em }) => loaders(em).collection(Album, 'tracks').load(album),
    trackCount: (album, _args, { em }) => loaders(em).count(Album, 'tracks').load(album),
  },
  Track: {
    album: (track, _args, { em }) => (track.album ? loaders(em).entity(Album).load(track.album.id) : null),
    genre: (track, _args, { em }) => (track.genre ? loaders(em).entity(Genre).load(track.genre.id) : null),
    mediaType: (track, _args, { em }) => loaders(em).entity(MediaType).load(track.mediaType.id),
  },
  Playlist: {
    tracks: (playlist, _args, { em }) => loaders(em).collection(Playlist, 'tracks').load(playlist),
    trackCount: (playlist, _args, { em }) => loaders(em).count(Playlist, 'tracks').load(playlist),
  },
  Customer: {
    supportRep: (customer, _args, { em }) =>
      customer.supportRep ? loaders(em).entity(Employee).load(customer.supportRep.id) : null,
    invoices: (customer, _args, { em }) => loaders(em).collection(Customer, 'invoices').load(customer),
    invoiceCount: (customer, _args, { em }) => loaders(em).count(Customer, 'invoices').load(customer),
  },
  Invoice: {
    customer: (invoice, _args, { em }) => loaders(em).entity(Customer).load(invoice.customer.id),
    lines: (invoice, _args, { em }) => loaders(em).collection(Invoice, 'lines').load(invoice),
    lineCount: (invoice, _args, { em }) => loaders(em).count(Invoice, 'lines').load(invoice),
  },
  InvoiceLine: {
    invoice: (line, _args, { em }) => loaders(em).entity(Invoice).load(line.invoice.id),
    track: (line, _args, { em }) => loaders(em).entity(Track).load(line.track.id),
  },
  Employee: {
    reportsTo: (employee, _args, { em }) =>
      employee.reportsTo ? loaders(em).entity(Employee).load(employee.reportsTo.id) : null,
    reports: (employee, _args, { em }) => loaders(em).collection(Employee, 'reports').load(employee),
    reportCount: (employee, _args, { em }) => loaders(em).count(Employee, 'reports').load(employee),
    customers: (employee, _args, { em }) => loaders(em).collection(Employee, 'customers').load(employee),
  },
};
