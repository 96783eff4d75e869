import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Path of the Chinook dataset (JSON object of PascalCase record arrays, one per table). */
export const CHINOOK_DATA_PATH = fileURLToPath(new URL('../data/ChinookData.json', import.meta.url));

/** A `genre` row ready for insertion. */
export interface GenreRow {
  id: number;
  name: string;
}

/** A `media_type` row ready for insertion. */
export interface MediaTypeRow {
  id: number;
  name: string;
}

/** An `artist` row ready for insertion. */
export interface ArtistRow {
  id: number;
  name: string;
}

/** An `album` row ready for insertion; `artist` is the artist's id. */
export interface AlbumRow {
  id: number;
  title: string;
  artist: number;
}

/** A `track` row ready for insertion; relations are ids. */
export interface TrackRow {
  id: number;
  name: string;
  album: number | null;
  mediaType: number;
  genre: number | null;
  composer: string | null;
  milliseconds: number;
  bytes: number | null;
  unitPrice: number;
}

/** An `employee` row ready for insertion; `reportsTo` is the manager's id. */
export interface EmployeeRow {
  id: number;
  lastName: string;
  firstName: string;
  title: string | null;
  reportsTo: number | null;
  birthDate: Date | null;
  hireDate: Date | null;
  address: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  postalCode: string | null;
  phone: string | null;
  fax: string | null;
  email: string | null;
}

/** A `customer` row ready for insertion; `supportRep` is an employee id. */
export interface CustomerRow {
  id: number;
  firstName: string;
  lastName: string;
  company: string | null;
  address: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  postalCode: string | null;
  phone: string | null;
  fax: string | null;
  email: string;
  supportRep: number | null;
}

/** An `invoice` row ready for insertion; `customer` is the customer's id. */
export interface InvoiceRow {
  id: number;
  customer: number;
  invoiceDate: Date;
  billingAddress: string | null;
  billingCity: string | null;
  billingState: string | null;
  billingCountry: string | null;
  billingPostalCode: string | null;
  total: number;
}

/** An `invoice_line` row ready for insertion; `invoice` and `track` are ids. */
export interface InvoiceLineRow {
  id: number;
  invoice: number;
  track: number;
  unitPrice: number;
  quantity: number;
}

/** A `playlist` row ready for insertion. */
export interface PlaylistRow {
  id: number;
  name: string;
}

/** A `playlist_track` pivot row ready for insertion; both fields are ids (the composite key). */
export interface PlaylistTrackRow {
  playlist: number;
  track: number;
}

/** Every Chinook table as camelCase rows, in the dataset's order (by id). */
export interface ChinookData {
  genres: GenreRow[];
  mediaTypes: MediaTypeRow[];
  artists: ArtistRow[];
  albums: AlbumRow[];
  tracks: TrackRow[];
  employees: EmployeeRow[];
  customers: CustomerRow[];
  invoices: InvoiceRow[];
  invoiceLines: InvoiceLineRow[];
  playlists: PlaylistRow[];
  playlistTracks: PlaylistTrackRow[];
}

/** The raw JSON file: PascalCase records. Missing text is `""` in this export, `null` in a few places. */
interface RawChinook {
  Genre: { GenreId: number; Name: string }[];
  MediaType: { MediaTypeId: number; Name: string }[];
  Artist: { ArtistId: number; Name: string }[];
  Album: { AlbumId: number; Title: string; ArtistId: number }[];
  Track: {
    TrackId: number;
    Name: string;
    AlbumId: number | null;
    MediaTypeId: number;
    GenreId: number | null;
    Composer: string | null;
    Milliseconds: number;
    Bytes: number | null;
    UnitPrice: number;
  }[];
  Employee: {
    EmployeeId: number;
    LastName: string;
    FirstName: string;
    Title: string | null;
    ReportsTo: number | null;
    BirthDate: string | null;
    HireDate: string | null;
    Address: string | null;
    City: string | null;
    State: string | null;
    Country: string | null;
    PostalCode: string | null;
    Phone: string | null;
    Fax: string | null;
    Email: string | null;
  }[];
  Customer: {
    CustomerId: number;
    FirstName: string;
    LastName: string;
    Company: string | null;
    Address: string | null;
    City: string | null;
    State: string | null;
    Country: string | null;
    PostalCode: string | null;
    Phone: string | null;
    Fax: string | null;
    Email: string;
    SupportRepId: number | null;
  }[];
  Invoice: {
    InvoiceId: number;
    CustomerId: number;
    InvoiceDate: string;
    BillingAddress: string | null;
    BillingCity: string | null;
    BillingState: string | null;
    BillingCountry: string | null;
    BillingPostalCode: string | null;
    Total: number;
  }[];
  InvoiceLine: { InvoiceLineId: number; InvoiceId: number; TrackId: number; UnitPrice: number; Quantity: number }[];
  Playlist: { PlaylistId: number; Name: string }[];
  PlaylistTrack: { PlaylistId: number; TrackId: number }[];
}

/** Text of an optional column: the export writes SQL NULL as `""` (or `null`); both become `null`. */
function text(value: string | null | undefined): string | null {
  return value == null || value === '' ? null : value;
}

/** The dataset's timestamps have no zone (`2021-01-01T00:00:00`): read them as UTC. */
function utcDate(value: string): Date {
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
}

function optionalDate(value: string | null | undefined): Date | null {
  return value == null || value === '' ? null : utcDate(value);
}

let cachedRaw: RawChinook | undefined;

function readRaw(): RawChinook {
  cachedRaw ??= JSON.parse(readFileSync(CHINOOK_DATA_PATH, 'utf8')) as RawChinook;
  return cachedRaw;
}

/**
 * Loads the Chinook dataset as camelCase rows ready for `insertMany`: relations are foreign-key
 * ids, timestamps are UTC `Date`s, and empty optional text (`""` in the export, SQL NULL in the
 * original database) is `null`. The file is read and parsed once per process; every call returns
 * fresh row objects, so callers (and `insertMany`) may mutate them.
 *
 * @example
 * const { albums, tracks } = loadChinookData();
 * console.log(albums.length, tracks[0]?.album); // 347 1
 */
export function loadChinookData(): ChinookData {
  const raw = readRaw();
  return {
    genres: raw.Genre.map((r) => ({ id: r.GenreId, name: r.Name })),
    mediaTypes: raw.MediaType.map((r) => ({ id: r.MediaTypeId, name: r.Name })),
    artists: raw.Artist.map((r) => ({ id: r.ArtistId, name: r.Name })),
    albums: raw.Album.map((r) => ({ id: r.AlbumId, title: r.Title, artist: r.ArtistId })),
    tracks: raw.Track.map((r) => ({
      id: r.TrackId,
      name: r.Name,
      album: r.AlbumId ?? null,
      mediaType: r.MediaTypeId,
      genre: r.GenreId ?? null,
      composer: text(r.Composer),
      milliseconds: r.Milliseconds,
      bytes: r.Bytes ?? null,
      unitPrice: r.UnitPrice,
    })),
    employees: raw.Employee.map((r) => ({
      id: r.EmployeeId,
      lastName: r.LastName,
      firstName: r.FirstName,
      title: text(r.Title),
      reportsTo: r.ReportsTo ?? null,
      birthDate: optionalDate(r.BirthDate),
      hireDate: optionalDate(r.HireDate),
      address: text(r.Address),
      city: text(r.City),
      state: text(r.State),
      country: text(r.Country),
      postalCode: text(r.PostalCode),
      phone: text(r.Phone),
      fax: text(r.Fax),
      email: text(r.Email),
    })),
    customers: raw.Customer.map((r) => ({
      id: r.CustomerId,
      firstName: r.FirstName,
      lastName: r.LastName,
      company: text(r.Company),
      address: text(r.Address),
      city: text(r.City),
      state: text(r.State),
      country: text(r.Country),
      postalCode: text(r.PostalCode),
      phone: text(r.Phone),
      fax: text(r.Fax),
      email: r.Email,
      supportRep: r.SupportRepId ?? null,
    })),
    invoices: raw.Invoice.map((r) => ({
      id: r.InvoiceId,
      customer: r.CustomerId,
      invoiceDate: utcDate(r.InvoiceDate),
      billingAddress: text(r.BillingAddress),
      billingCity: text(r.BillingCity),
      billingState: text(r.BillingState),
      billingCountry: text(r.BillingCountry),
      billingPostalCode: text(r.BillingPostalCode),
      total: r.Total,
    })),
    invoiceLines: raw.InvoiceLine.map((r) => ({
      id: r.InvoiceLineId,
      invoice: r.InvoiceId,
      track: r.TrackId,
      unitPrice: r.UnitPrice,
      quantity: r.Quantity,
    })),
    playlists: raw.Playlist.map((r) => ({ id: r.PlaylistId, name: r.Name })),
    playlistTracks: raw.PlaylistTrack.map((r) => ({ playlist: r.PlaylistId, track: r.TrackId })),
  };
}
