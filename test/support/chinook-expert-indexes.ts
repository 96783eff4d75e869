// A hand-picked index set for the app workload of chinook-app-workload.ts, written from the shapes
// (before the advisor was run on the extended workload), one line of reasoning each. The benchmark
// times it against the advisor's set. On top of what MikroORM creates: primary keys and the indexes
// of the foreign keys the entities declare with `index: true`.

/** One index of the expert set: the statement and why. */
export interface ExpertIndex {
  readonly sql: string;
  readonly why: string;
}

export const CHINOOK_EXPERT_INDEXES: readonly ExpertIndex[] = [
  {
    sql: 'create index expert_customer_email on customer (email)',
    why: 'sign-in looks a customer up by email, the most frequent read; emails are unique in practice',
  },
  {
    sql: 'create index expert_invoice_date on invoice (invoice_date)',
    why: 'the daily report is a one-day range on invoice_date over all invoices',
  },
  {
    sql: 'create index expert_invoice_country_date on invoice (billing_country, invoice_date)',
    why: "a country's next invoices and the monthly country report: equality on country, then the date range/order",
  },
  {
    sql: 'create index expert_invoice_customer_date on invoice (customer_id, invoice_date)',
    why: "a customer's recent invoices: the FK index finds them, this one also returns them newest first for the LIMIT",
  },
  {
    sql: 'create index expert_invoice_city_date on invoice (billing_city, invoice_date)',
    why: "a city's latest invoices: equality on city, ORDER BY invoice_date DESC LIMIT 10",
  },
  {
    sql: 'create index expert_invoice_total on invoice (total)',
    why: 'the biggest invoices: ORDER BY total DESC LIMIT 10 over a range on total, read backwards',
  },
  {
    sql: 'create index expert_customer_country_last_name on customer (country, last_name)',
    why: "a country's customers by name: equality on country, then the ORDER BY last_name for the LIMIT",
  },
  {
    sql: 'create index expert_customer_last_name_pattern on customer (last_name text_pattern_ops)',
    why: "the name prefix search (LIKE 'Sch%'): the database collation is not C, so a pattern-ops index",
  },
  {
    sql: 'create index expert_track_composer on track (composer)',
    why: "a composer's tracks: equality on composer, no index on it",
  },
];
