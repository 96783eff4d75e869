/**
 * The GraphQL schema of the Chinook example, in SDL. Both resolver sets (`naiveResolvers`,
 * `stratumResolvers`) implement it; {@link createChinookSchema} builds it with one of them.
 *
 * @example
 * ```ts
 * import { buildSchema } from 'graphql';
 * const schema = buildSchema(chinookTypeDefs); // no resolvers yet: see createChinookSchema
 * ```
 */
export const chinookTypeDefs = /* GraphQL */ `
  type Query {
    "Artists by id."
    artists(limit: Int = 10): [Artist!]!
    "Playlists by id."
    playlists(limit: Int = 10): [Playlist!]!
    "Customers by id."
    customers(limit: Int = 10): [Customer!]!
    "Employees by id (all of them without a limit)."
    employees(limit: Int): [Employee!]!
  }

  type Artist {
    id: Int!
    name: String!
    albums: [Album!]!
    albumCount: Int!
  }

  type Album {
    id: Int!
    title: String!
    artist: Artist!
    tracks: [Track!]!
    trackCount: Int!
  }

  type Track {
    id: Int!
    name: String!
    composer: String
    milliseconds: Int!
    unitPrice: Float!
    album: Album
    genre: Genre
    mediaType: MediaType!
  }

  type Genre {
    id: Int!
    name: String!
  }

  type MediaType {
    id: Int!
    name: String!
  }

  type Playlist {
    id: Int!
    name: String!
    tracks: [Track!]!
    trackCount: Int!
  }

  type Customer {
    id: Int!
    firstName: String!
    lastName: String!
    email: String!
    country: String
    supportRep: Employee
    invoices: [Invoice!]!
    invoiceCount: Int!
  }

  type Invoice {
    id: Int!
    "ISO 8601."
    invoiceDate: String!
    total: Float!
    customer: Customer!
    lines: [InvoiceLine!]!
    lineCount: Int!
  }

  type InvoiceLine {
    id: Int!
    unitPrice: Float!
    quantity: Int!
    invoice: Invoice!
    track: Track!
  }

  type Employee {
    id: Int!
    firstName: String!
    lastName: String!
    title: String
    "The manager."
    reportsTo: Employee
    "The employees who report to this one."
    reports: [Employee!]!
    reportCount: Int!
    "The customers this employee is the support rep of."
    customers: [Customer!]!
  }
`;
