import { Artist, Customer, Employee, type Invoice, Playlist } from '../entities/index.js';
import type { Resolver } from './relation-resolvers.js';

/** The arguments of the root list fields. */
interface ListArgs {
  limit?: number | null;
}

/**
 * The resolvers both modes share: the root fields (one `em.find` each, by id) and the scalars that
 * need formatting. Each root field is the "1" of "1 + one query per relation".
 *
 * @example
 * ```ts
 * const artists = await sharedResolvers.Query.artists(undefined, { limit: 5 }, createChinookContext(orm));
 * ```
 */
export const sharedResolvers: {
  Query: {
    artists: Resolver<unknown, Artist[], ListArgs>;
    playlists: Resolver<unknown, Playlist[], ListArgs>;
    customers: Resolver<unknown, Customer[], ListArgs>;
    employees: Resolver<unknown, Employee[], ListArgs>;
  };
  Invoice: { invoiceDate: Resolver<Invoice, string> };
} = {
  Query: {
    artists: (_root, { limit }, { em }) => em.find(Artist, {}, byId(limit)),
    playlists: (_root, { limit }, { em }) => em.find(Playlist, {}, byId(limit)),
    customers: (_root, { limit }, { em }) => em.find(Customer, {}, byId(limit)),
    employees: (_root, { limit }, { em }) => em.find(Employee, {}, byId(limit)),
  },
  Invoice: {
    invoiceDate: (invoice) => invoice.invoiceDate.toISOString(),
  },
};

function byId(limit: number | null | undefined): { orderBy: { id: 'asc' }; limit?: number } {
  return limit == null ? { orderBy: { id: 'asc' } } : { orderBy: { id: 'asc' }, limit };
}
