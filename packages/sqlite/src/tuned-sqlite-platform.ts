import type { Transaction } from '@mikro-orm/core';
import { type AbstractSqlConnection, SqlitePlatform, SqliteSchemaHelper } from '@mikro-orm/sql';

/**
 * MikroORM's SQLite schema helper, except that SQLite's own `sqlite_stat*` tables are not taken for
 * the application's. `PRAGMA optimize` runs ANALYZE, which creates `sqlite_stat1` (columns without a
 * declared type); MikroORM 7.2.1 lists it with the user tables and its schema diff then fails
 * ("Cannot read properties of null") on `schema.refresh()`, `drop()` and `update()`.
 */
class TunedSqliteSchemaHelper extends SqliteSchemaHelper {
  override async getAllTables(
    connection: AbstractSqlConnection,
    schemas?: string[],
    ctx?: Transaction,
  ): ReturnType<SqliteSchemaHelper['getAllTables']> {
    const tables = await super.getAllTables(connection, schemas, ctx);
    return tables.filter((table) => !/^sqlite_stat\d$/.test(table.table_name));
  }
}

/**
 * MikroORM's SQLite platform with the schema helper above; `TunedSqliteDriver` uses it.
 *
 * @example
 * ```ts
 * orm.em.getPlatform() instanceof TunedSqlitePlatform; // true with sqliteTuning()
 * ```
 */
export class TunedSqlitePlatform extends SqlitePlatform {
  protected override readonly schemaHelper: SqliteSchemaHelper = new TunedSqliteSchemaHelper(this);
}
