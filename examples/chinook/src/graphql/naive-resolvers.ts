import { type Collection, wrap } from '@mikro-orm/core';
import type { RelationResolvers } from './relation-resolvers.js';

/**
 * The resolvers as users first write them: each row loads its own relations lazily, through the
 * entity (`collection.loadItems()`, `collection.loadCount()`, `wrap(reference).init()`). Correct, and
 * one query per row per relation: the N+1 that {@link stratumResolvers} removes.
 *
 * @example
 * ```ts
 * const schema = createChinookSchema('naive'); // uses these
 * ```
 */
export const naiveResolvers: RelationResolvers = {
  Artist: {
    albums: (artist) => loadItems(artist.albums),
    albumCount: (artist) => artist.albums.loadCount(),
  },
  Album: {
    artist: (album) => wrap(album.artist).init(),
    tracks: (album) => loadItems(album.tracks),
    trackCount: (album) => album.tracks.loadCount(),
  },
  Track: {
    album: (track) => (track.album ? wrap(track.album).init() : null),
    genre: (track) => (track.genre ? wrap(track.genre).init() : null),
    mediaType: (track) => wrap(track.mediaType).init(),
  },
  Playlist: {
    tracks: (playlist) => loadItems(playlist.tracks),
    trackCount: (playlist) => playlist.tracks.loadCount(),
  },
  Customer: {
    supportRep: (customer) => (customer.supportRep ? wrap(customer.supportRep).init() : null),
    invoices: (customer) => loadItems(customer.invoices),
    invoiceCount: (customer) => customer.invoices.loadCount(),
  },
  Invoice: {
    customer: (invoice) => wrap(invoice.customer).init(),
    lines: (invoice) => loadItems(invoice.lines),
    lineCount: (invoice) => invoice.lines.loadCount(),
  },
  InvoiceLine: {
    invoice: (line) => wrap(line.invoice).init(),
    track: (line) => wrap(line.track).init(),
  },
  Employee: {
    reportsTo: (employee) => (employee.reportsTo ? wrap(employee.reportsTo).init() : null),
    reports: (employee) => loadItems(employee.reports),
    reportCount: (employee) => employee.reports.loadCount(),
    customers: (employee) => loadItems(employee.customers),
  },
};

/**
 * `collection.loadItems()` in the order Stratum's loaders use: the relation's `orderBy` when it has
 * one (MikroORM applies it), else the primary key. Without an `orderBy` lazy loading sends no
 * `order by`, and the database picks (PostgreSQL's heap order is not the primary key's).
 */
function loadItems<T extends object>(collection: Collection<T>): Promise<T[]> {
  return collection.property.orderBy
    ? collection.loadItems()
    : collection.loadItems({ orderBy: { id: 'asc' } as never });
}
