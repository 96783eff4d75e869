import { UnknownTableError } from '../errors/unknown-table-error.js';
import type { PgClient } from './connect.js';

/** A table of the target database. */
export interface TableInfo {
  readonly schema: string;
  readonly name: string;
  /** The planner's row estimate (`pg_class.reltuples`, after ANALYZE). */
  readonly rows: number;
  readonly bytes: number;
  readonly columns: readonly { readonly name: string; readonly type: string; readonly notNull: boolean }[];
}

/** One key of an existing index: a column, or an expression (as `pg_get_indexdef` prints it). */
export interface ExistingIndexKey {
  readonly column?: string;
  readonly expression?: string;
}

/** An index that exists in the target database. */
export interface ExistingIndex {
  readonly name: string;
  readonly table: string;
  /** `btree`, `gin`, `gist`, `hash`, `brin`, ... */
  readonly method: string;
  readonly unique: boolean;
  readonly primary: boolean;
  /** False for an index a failed `CREATE INDEX CONCURRENTLY` left behind. */
  readonly valid: boolean;
  readonly keys: readonly ExistingIndexKey[];
  readonly include: readonly string[];
  /** The partial index's predicate, `null` for a full index. */
  readonly predicate: string | null;
  /** The constraint it backs (primary key, unique, exclusion), `null` for a plain index. */
  readonly constraint: string | null;
  readonly definition: string;
  readonly bytes: number;
}

/** A foreign key of a table of the workload. */
export interface ForeignKeyInfo {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
}

/** `pg_stats` of one column. */
export interface ColumnStats {
  readonly table: string;
  readonly column: string;
  readonly nullFraction: number;
  /** Distinct values, as an absolute estimate (PostgreSQL's negative fractions multiplied out). */
  readonly distinct: number;
  readonly mostCommonValues: readonly string[];
  readonly mostCommonFrequencies: readonly number[];
  readonly correlation: number | null;
}

/** What the indexer knows of the target database. */
export interface PostgresSchema {
  readonly database: string;
  readonly serverVersion: number;
  readonly tables: ReadonlyMap<string, TableInfo>;
  readonly indexes: readonly ExistingIndex[];
  readonly foreignKeys: readonly ForeignKeyInfo[];
  readonly stats: readonly ColumnStats[];
  /** Extensions installed in this database (`hypopg`, `pg_trgm`, ...), with their versions. */
  readonly extensions: ReadonlyMap<string, string>;
  /** Extensions the server could install (`pg_available_extensions`). */
  readonly availableExtensions: ReadonlySet<string>;
  /** The database's collation (`C` makes a plain btree serve `LIKE 'x%'`). */
  readonly collation: string;
}

/**
 * Reads the tables (visible through `search_path`), their row estimates, existing indexes (key
 * columns and expressions, INCLUDE columns, partial predicates, uniqueness, the constraint behind
 * them, validity), foreign keys and `pg_stats` of the given tables. A table never analysed
 * (`reltuples` -1) is analysed first, since the planner's costs mean nothing without statistics
 * (`analyze: false` leaves it alone).
 *
 * @throws {UnknownTableError} a table in `tables` does not exist in the database.
 * @example
 * ```ts
 * const client = await connectPostgres(url);
 * const schema = await introspectPostgres(client, ['customer', 'invoice']);
 * schema.tables.get('invoice')?.rows; // 412000
 * schema.indexes.filter((i) => i.table === 'invoice').map((i) => i.name); // ['invoice_pkey', 'invoice_customer_id_index']
 * ```
 */
export async function introspectPostgres(
  client: PgClient,
  tables: readonly string[],
  options: { analyze?: boolean } = {},
): Promise<PostgresSchema> {
  const names = [...new Set(tables)];
  const info = await client.query<{ database: string; version: string; collation: string }>(
    `select current_database() as database, current_setting('server_version_num') as version, datcollate as collation
       from pg_database where datname = current_database()`,
  );
  const head = info.rows[0] as { database: string; version: string; collation: string };
  const found = await client.query<{ oid: number; name: string; reltuples: number }>(
    `select c.oid, c.relname as name, c.reltuples from pg_class c
      where c.relkind in ('r', 'p', 'm') and pg_table_is_visible(c.oid) and c.relname = any($1::text[])`,
    [names],
  );
  const missing = names.filter((name) => !found.rows.some((row) => row.name === name));
  if (missing.length > 0) throw new UnknownTableError(missing, head.database);
  for (const row of found.rows) {
    if (options.analyze !== false && Number(row.reltuples) < 0) await client.query(`analyze ${quote(row.name)}`);
  }
  const oids = found.rows.map((row) => row.oid);
  const tableRows = await client.query<{
    schema: string;
    name: string;
    rows: number;
    bytes: string;
    columns: { name: string; type: string; notNull: boolean }[];
  }>(
    `select n.nspname as schema, c.relname as name, greatest(c.reltuples, 0)::float8 as rows,
            pg_table_size(c.oid)::text as bytes,
            coalesce((select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                        'notNull', a.attnotnull) order by a.attnum)
                        from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = any($1::oid[])`,
    [oids],
  );
  const indexRows = await client.query<{
    name: string;
    table: string;
    method: string;
    unique: boolean;
    primary: boolean;
    valid: boolean;
    keys: ExistingIndexKey[];
    include: string[];
    predicate: string | null;
    constraint: string | null;
    definition: string;
    bytes: string;
  }>(
    `select ic.relname as name, tc.relname as table, am.amname as method, i.indisunique as unique,
            i.indisprimary as primary, i.indisvalid and i.indisready as valid,
            (select json_agg(case when i.indkey[k - 1] = 0 then json_build_object('expression', pg_get_indexdef(i.indexrelid, k, true))
                                  else json_build_object('column', (select attname from pg_attribute
                                                                      where attrelid = i.indrelid and attnum = i.indkey[k - 1])) end
                             order by k)
               from generate_series(1, i.indnkeyatts) k) as keys,
            coalesce((select json_agg(a.attname order by k)
                        from generate_series(i.indnkeyatts + 1, i.indnatts) k
                        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[k - 1]), '[]') as include,
            pg_get_expr(i.indpred, i.indrelid, true) as predicate,
            (select conname from pg_constraint where conindid = i.indexrelid and conrelid = i.indrelid limit 1) as constraint,
            pg_get_indexdef(i.indexrelid) as definition, pg_relation_size(i.indexrelid)::text as bytes
       from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class tc on tc.oid = i.indrelid
       join pg_am am on am.oid = ic.relam
      where i.indrelid = any($1::oid[]) order by tc.relname, ic.relname`,
    [oids],
  );
  const fkRows = await client.query<ForeignKeyInfo>(
    `select con.conname as name, tc.relname as table, rc.relname as "referencedTable",
            (select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(attnum, ord)
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as columns,
            (select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(attnum, ord)
               join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as "referencedColumns"
       from pg_constraint con join pg_class tc on tc.oid = con.conrelid join pg_class rc on rc.oid = con.confrelid
      where con.contype = 'f' and con.conrelid = any($1::oid[]) order by tc.relname, con.conname`,
    [oids],
  );
  const statRows = await client.query<{
    table: string;
    column: string;
    null_frac: number;
    n_distinct: number;
    mcv: string[] | null;
    mcf: number[] | null;
    correlation: number | null;
    rows: number;
  }>(
    `select s.tablename as table, s.attname as column, s.null_frac, s.n_distinct,
            s.most_common_vals::text::text[] as mcv, s.most_common_freqs as mcf, s.correlation,
            greatest(c.reltuples, 0)::float8 as rows
       from pg_stats s join pg_class c on c.relname = s.tablename and pg_table_is_visible(c.oid)
      where s.schemaname = any(current_schemas(false)) and s.tablename = any($1::text[])`,
    [names],
  );
  const extensionRows = await client.query<{ name: string; version: string }>(
    'select extname as name, extversion as version from pg_extension',
  );
  const availableRows = await client.query<{ name: string }>('select name from pg_available_extensions');
  return {
    database: head.database,
    serverVersion: Number(head.version),
    collation: head.collation,
    tables: new Map(
      tableRows.rows.map((row) => [
        row.name,
        { schema: row.schema, name: row.name, rows: Number(row.rows), bytes: Number(row.bytes), columns: row.columns },
      ]),
    ),
    indexes: indexRows.rows.map((row) => ({ ...row, bytes: Number(row.bytes) })),
    foreignKeys: fkRows.rows,
    stats: statRows.rows.map((row) => ({
      table: row.table,
      column: row.column,
      nullFraction: Number(row.null_frac),
      distinct: row.n_distinct < 0 ? -row.n_distinct * Number(row.rows) : Number(row.n_distinct),
      mostCommonValues: row.mcv ?? [],
      mostCommonFrequencies: row.mcf ?? [],
      correlation: row.correlation,
    })),
    extensions: new Map(extensionRows.rows.map((row) => [row.name, row.version])),
    availableExtensions: new Set(availableRows.rows.map((row) => row.name)),
  };
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
