// The index set an engineer would write by hand for CHINOOK_WORKLOAD, written BEFORE the advisor of
// issue 14 was run on it: the reference `pnpm bench indexes` compares the advisor's picks with
// (`<db>:expert/advisor` ≥ 0.9). One line of reasoning per index. Primary keys exist already; the
// entities' foreign-key indexes are NOT assumed (the bench starts from "no secondary indexes").

/** One hand-picked index: its DDL per database, and why. */
export interface ExpertIndex {
  readonly name: string;
  readonly table: string;
  /** The statement on each database; `undefined` when the index does not apply there. */
  readonly postgresql: string | undefined;
  readonly sqlite: string | undefined;
  readonly serves: readonly string[];
  readonly reason: string;
}

const both = (name: string, table: string, columns: string): Pick<ExpertIndex, 'postgresql' | 'sqlite'> => ({
  postgresql: `create index "${name}" on "${table}" (${columns})`,
  sqlite: `create index "${name}" on "${table}" (${columns})`,
});

/**
 * The expert set, heaviest shape first (the shape names of `CHINOOK_WORKLOAD` it serves).
 *
 * @example
 * ```ts
 * for (const index of EXPERT_INDEXES) if (index.sqlite) await connection.execute(index.sqlite);
 * ```
 */
export const EXPERT_INDEXES: readonly ExpertIndex[] = [
  {
    name: 'expert_invoice_line_invoice',
    table: 'invoice_line',
    ...both('expert_invoice_line_invoice', 'invoice_line', '"invoice_id"'),
    serves: ['invoice lines of an invoice', 'a refunded invoice line'],
    reason: 'the most frequent read: an equality on the FK, a handful of rows per invoice out of millions',
  },
  {
    name: 'expert_customer_email',
    table: 'customer',
    ...both('expert_customer_email', 'customer', '"email"'),
    serves: ['customer by email (sign-in)'],
    reason: 'equality on a column that is unique in practice: one row',
  },
  {
    name: 'expert_invoice_customer_date',
    table: 'invoice',
    ...both('expert_invoice_customer_date', 'invoice', '"customer_id", "invoice_date" desc'),
    serves: ["a customer's 10 most recent invoices"],
    reason: 'equality then the ORDER BY column: the first 10 entries of the range, no sort; also serves the FK',
  },
  {
    name: 'expert_track_album_name',
    table: 'track',
    ...both('expert_track_album_name', 'track', '"album_id", "name"'),
    serves: ['tracks of an album, by name'],
    reason: 'equality then ORDER BY: no sort; also serves the FK',
  },
  {
    name: 'expert_track_name_trgm',
    table: 'track',
    postgresql: 'create index "expert_track_name_trgm" on "track" using gin ("name" gin_trgm_ops)',
    sqlite: undefined,
    serves: ['track search by a word in the name'],
    reason:
      "ILIKE '%word%' cannot use a B-tree; a trigram GIN index can (PostgreSQL, pg_trgm). SQLite has no equivalent: it scans",
  },
  {
    name: 'expert_album_artist_title',
    table: 'album',
    ...both('expert_album_artist_title', 'album', '"artist_id", "title"'),
    serves: ['albums of an artist, by title'],
    reason: 'equality then ORDER BY; also serves the FK',
  },
  {
    name: 'expert_invoice_line_track',
    table: 'invoice_line',
    ...both('expert_invoice_line_track', 'invoice_line', '"track_id"'),
    serves: ['times a track was sold'],
    reason: 'a count by FK: an index-only count over the matching entries',
  },
  {
    name: 'expert_customer_last_first',
    table: 'customer',
    postgresql:
      'create index "expert_customer_last_first" on "customer" ("last_name" varchar_pattern_ops, "first_name")',
    sqlite: 'create index "expert_customer_last_first" on "customer" ("last_name" collate nocase, "first_name")',
    serves: ['customers by last-name prefix (admin search)'],
    reason:
      "LIKE 'pre%' needs pattern ops on PostgreSQL (non-C collation) and NOCASE on SQLite (its LIKE ignores case); the table is small, the sort stays",
  },
  {
    name: 'expert_track_genre_length',
    table: 'track',
    ...both('expert_track_genre_length', 'track', '"genre_id", "milliseconds" desc'),
    serves: ['longest tracks of a genre'],
    reason: 'equality then ORDER BY ... LIMIT 10: ten index entries, no sort',
  },
  {
    name: 'expert_artist_name',
    table: 'artist',
    ...both('expert_artist_name', 'artist', '"name"'),
    serves: ['artist by name'],
    reason: 'equality on a near-unique column',
  },
  {
    name: 'expert_invoice_country_date',
    table: 'invoice',
    ...both('expert_invoice_country_date', 'invoice', '"billing_country", "invoice_date"'),
    serves: ['invoices of a country in a month (report)'],
    reason: 'equality then the range, in ORDER BY order: a range scan, no sort',
  },
  {
    name: 'expert_invoice_date_cover',
    table: 'invoice',
    postgresql:
      'create index "expert_invoice_date_cover" on "invoice" ("invoice_date") include ("billing_country", "total")',
    sqlite: 'create index "expert_invoice_date_cover" on "invoice" ("invoice_date", "billing_country", "total")',
    serves: ['revenue per country in a quarter (report)'],
    reason: 'a range on the date, grouped and summed from the index alone (covering: no heap or table reads)',
  },
  {
    name: 'expert_invoice_city_date',
    table: 'invoice',
    ...both('expert_invoice_city_date', 'invoice', '"billing_city", "invoice_date" desc'),
    serves: ['latest invoices of a city'],
    reason: 'equality then ORDER BY ... LIMIT 20',
  },
  {
    name: 'expert_customer_support_rep',
    table: 'customer',
    ...both('expert_customer_support_rep', 'customer', '"support_rep_id"'),
    serves: ['customers of a support rep'],
    reason: 'the FK; few reps, but the table grows with the scale',
  },
  {
    name: 'expert_customer_country_last',
    table: 'customer',
    ...both('expert_customer_country_last', 'customer', '"country", "last_name"'),
    serves: ['customers of a country, by last name'],
    reason: 'equality then ORDER BY ... LIMIT 50',
  },
  {
    name: 'expert_invoice_large',
    table: 'invoice',
    postgresql: 'create index "expert_invoice_large" on "invoice" ("total" desc) where "total" >= 20',
    sqlite: 'create index "expert_invoice_large" on "invoice" ("total" desc) where "total" >= 20',
    serves: ['the largest invoices (>= 20)'],
    reason: 'a constant predicate: a partial index holds only the few large invoices, already in ORDER BY order',
  },
  {
    name: 'expert_track_composer',
    table: 'track',
    ...both('expert_track_composer', 'track', '"composer"'),
    serves: ['tracks of a composer'],
    reason: 'equality; rare shape on a small table: kept because it costs little (track is read-only here)',
  },
];
