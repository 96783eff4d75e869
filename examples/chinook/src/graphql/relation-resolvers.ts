import type {
  Album,
  Artist,
  Customer,
  Employee,
  Genre,
  Invoice,
  InvoiceLine,
  MediaType,
  Playlist,
  Track,
} from '../entities/index.js';
import type { ChinookContext } from './chinook-context.js';

/** A field resolver as graphql-js calls it: the parent row, the field's arguments, the request's context. */
export type Resolver<TParent, TResult, TArgs = Record<string, never>> = (
  parent: TParent,
  args: TArgs,
  context: ChinookContext,
) => TResult | Promise<TResult>;

/**
 * The fields of the Chinook schema that follow a relation (or count one): the part the naive and
 * the Stratum resolvers implement differently. A many-to-one resolves to the row or `null`, a
 * collection to an array, a count to a number.
 *
 * @example
 * ```ts
 * const albums: RelationResolvers['Artist']['albums'] = (artist, _args, { em }) =>
 *   loaders(em).collection(Artist, 'albums').load(artist);
 * ```
 */
export interface RelationResolvers {
  Artist: { albums: Resolver<Artist, Album[]>; albumCount: Resolver<Artist, number> };
  Album: {
    artist: Resolver<Album, Artist | null>;
    tracks: Resolver<Album, Track[]>;
    trackCount: Resolver<Album, number>;
  };
  Track: {
    album: Resolver<Track, Album | null>;
    genre: Resolver<Track, Genre | null>;
    mediaType: Resolver<Track, MediaType | null>;
  };
  Playlist: { tracks: Resolver<Playlist, Track[]>; trackCount: Resolver<Playlist, number> };
  Customer: {
    supportRep: Resolver<Customer, Employee | null>;
    invoices: Resolver<Customer, Invoice[]>;
    invoiceCount: Resolver<Customer, number>;
  };
  Invoice: {
    customer: Resolver<Invoice, Customer | null>;
    lines: Resolver<Invoice, InvoiceLine[]>;
    lineCount: Resolver<Invoice, number>;
  };
  InvoiceLine: { invoice: Resolver<InvoiceLine, Invoice | null>; track: Resolver<InvoiceLine, Track | null> };
  Employee: {
    reportsTo: Resolver<Employee, Employee | null>;
    reports: Resolver<Employee, Employee[]>;
    reportCount: Resolver<Employee, number>;
    customers: Resolver<Employee, Customer[]>;
  };
}
