import {
  type Dictionary,
  type EntityMetadata,
  type EntityProperty,
  helper,
  type Platform,
  Reference,
  ReferenceKind,
  Utils,
} from '@mikro-orm/core';
import {
  type AbstractSqlConnection,
  BasePostgreSqlPlatform,
  type SqlEntityManager,
  SqlitePlatform,
} from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { withDriverErrors } from '../errors/convert-driver-error.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';
import type { BulkColumn, BulkDialect, BulkStatement } from './bulk-dialect.js';
import { PostgreSqlBulkDialect } from './postgresql-bulk-dialect.js';
import { SqliteBulkDialect, type SqliteDatabase } from './sqlite-bulk-dialect.js';

/** What a bulk statement returned: the `returning` rows and the affected row count. */
export interface StatementResult {
  readonly rows: Dictionary[];
  readonly affected: number;
}

/** The write connection's protected query runner: it times the query and logs it through MikroORM's logger. */
export type LoggedConnection = AbstractSqlConnection & {
  executeQuery<T>(query: string, cb: () => Promise<T>, context?: Dictionary): Promise<T>;
};

const dialects = new WeakMap<object, Promise<BulkDialect>>();

/**
 * The bulk dialect of the EntityManager's driver, created once per connection (SQLite asks the
 * library for its bound-parameter limit).
 */
export function bulkDialectOf(em: SqlEntityManager): Promise<BulkDialect> {
  const connection = em.getDriver().getConnection('write');
  let dialect = dialects.get(connection);
  if (!dialect) {
    dialect = createDialect(em, connection);
    dialects.set(connection, dialect);
  }
  return dialect;
}

async function createDialect(em: SqlEntityManager, connection: AbstractSqlConnection): Promise<BulkDialect> {
  const platform = em.getPlatform();
  if (platform instanceof BasePostgreSqlPlatform) {
    return new PostgreSqlBulkDialect();
  }
  if (platform instanceof SqlitePlatform) {
    // Inside a transaction SQLite's single connection is taken: ask through the transaction.
    const rows = await withDriverErrors(em, () =>
      connection.execute<Dictionary[]>(
        "select compile_options as option from pragma_compile_options where compile_options like 'MAX_VARIABLE_NUMBER=%'",
        [],
        'all',
        em.getTransactionContext(),
      ),
    );
    const limit = Number(String(rows[0]?.option ?? '').split('=')[1]);
    // A better-sqlite3 handle (the @mikro-orm/sqlite driver) lets the dialect reuse prepared statements.
    const native = await (connection as { getNativeClient?: () => Promise<unknown> })
      .getNativeClient?.()
      .catch(() => undefined);
    const database =
      typeof (native as SqliteDatabase | undefined)?.prepare === 'function' ? (native as SqliteDatabase) : undefined;
    // SQLite's documented default before 3.32 is 999; newer builds say so in compile_options.
    return new SqliteBulkDialect(Number.isInteger(limit) && limit > 0 ? limit : 999, database);
  }
  throw new UnsupportedOperationError(
    `Stratum's bulk operations support PostgreSQL and SQLite, but this EntityManager uses ${platform.constructor.name}.`,
  );
}

/**
 * Runs one statement with bound parameters on the EntityManager's own write connection, inside its
 * current transaction if there is one, and logs it through MikroORM's logger like any other query.
 * What the driver throws reaches the caller as MikroORM's exception for it (`convertDriverError`), as
 * from `em.flush()`.
 */
export function executeStatement(
  em: SqlEntityManager,
  dialect: BulkDialect,
  statement: BulkStatement,
): Promise<StatementResult> {
  return withDriverErrors(em, async () => {
    const connection = em.getDriver().getConnection('write') as LoggedConnection;
    await connection.ensureConnection();
    // MikroORM's `onQuery` hook sees (and may rewrite, e.g. to add a comment) every statement, as it does its own.
    const sql = em.config.get('onQuery')(statement.sql, statement.params);
    const result = await connection.executeQuery(
      sql,
      async () => {
        if (dialect.execute) {
          // Only ever called inside em.transactional(), which holds SQLite's one connection for us.
          const { rows, affected } = dialect.execute({ sql, params: statement.params });
          return { rows, affectedRows: affected };
        }
        const target = em.getTransactionContext<any>() ?? connection.getClient();
        const res = await target.executeQuery(CompiledQuery.raw(sql, statement.params));
        return { rows: res.rows as Dictionary[], affectedRows: Number(res.numAffectedRows ?? res.rows.length) };
      },
      { query: sql, params: statement.params },
    );
    return { rows: result.rows, affected: result.affectedRows };
  });
}

/** The bulk column (quoted name and database type) behind a property. */
export function bulkColumn(em: SqlEntityManager, prop: EntityProperty, column: string): BulkColumn {
  return { quoted: em.getPlatform().quoteIdentifier(column), type: prop.columnTypes?.[0] ?? 'text' };
}

/** The quoted, schema-qualified table name of the entity, as MikroORM's own statements spell it. */
export function tableOf(em: SqlEntityManager, meta: EntityMetadata, schema?: string): string {
  return em.getDriver().getTableName(meta, schema === undefined ? {} : { schema });
}

/**
 * Converts a property value the way MikroORM does before it writes: a relation (entity, reference
 * or primary key) becomes its primary key, a custom type converts itself, a date takes the
 * platform's form; then the dialect turns it into something its driver binds.
 */
export function toDatabaseValue(
  em: SqlEntityManager,
  dialect: BulkDialect,
  prop: EntityProperty,
  value: unknown,
): unknown {
  return convertValue(value, prop, em.getPlatform(), dialect);
}

/** A property's converter from the value a row gives to the value its driver binds. */
export type DatabaseValueConverter = (value: unknown) => unknown;

/**
 * {@link toDatabaseValue} for one property, as a function a bulk write applies to every row's value
 * (the COPY path calls it while the rows stream).
 */
export function databaseValueOf(
  em: SqlEntityManager,
  dialect: BulkDialect,
  prop: EntityProperty,
): DatabaseValueConverter {
  const platform = em.getPlatform();
  return (value) => convertValue(value, prop, platform, dialect);
}

function convertValue(value: unknown, prop: EntityProperty, platform: Platform, dialect: BulkDialect): unknown {
  let v: unknown = value === undefined ? (prop.default ?? null) : value;
  if (
    v !== null &&
    typeof v === 'object' &&
    (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE)
  ) {
    v = Reference.isReference(v) ? v.unwrap() : v;
    if (Utils.isEntity(v)) {
      v = helper(v).getPrimaryKey();
    } else if (Utils.isPlainObject(v)) {
      const targetPk = prop.targetMeta?.primaryKeys[0];
      v = targetPk ? (v as Dictionary)[targetPk] : v;
    }
  }
  if (v !== null && prop.customType) {
    v = prop.customType.convertToDatabaseValue(v, platform, { key: prop.name, mode: 'query-data' });
  }
  if (v instanceof Date) {
    v = platform.processDateProperty(v);
  }
  return dialect.toDriverValue(v);
}

/** Splits `items` into consecutive slices of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}
