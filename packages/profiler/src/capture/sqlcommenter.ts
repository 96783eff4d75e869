import { type Configuration, TransactionContext } from '@mikro-orm/core';
import { currentOperation } from '@stratum/core/internal';

/** Options of {@link enableSqlCommenter}. */
export interface SqlCommenterOptions {
  /** A W3C traceparent for the current request (e.g. from OpenTelemetry's active span), if any. */
  traceparent?: () => string | undefined;
  /** More key-values to add, e.g. `{ application: 'api' }`. */
  tags?: () => Readonly<Record<string, string | undefined>>;
}

/**
 * Appends an sqlcommenter comment to every query MikroORM sends, naming the Stratum repository and
 * method it ran in (and a traceparent), so database-side tools (pg_stat_statements, slow logs, cloud
 * query insights) can tell where a query came from:
 * `select ... /*method='findPage',repository='TrackRepository',traceparent='00-...'*\/`.
 * Keys are sorted, values URL-encoded with `'` escaped, per https://google.github.io/sqlcommenter/spec/;
 * a query that already ends with a comment is left alone (never commented twice). Queries outside a
 * Stratum operation, and transaction control, get no comment.
 *
 * @example
 * ```ts
 * enableSqlCommenter(orm, { traceparent: () => currentTraceparent() });
 * ```
 */
export function enableSqlCommenter(orm: { readonly config: Configuration }, options: SqlCommenterOptions = {}): void {
  const previous = orm.config.get('onQuery');
  orm.config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    const next = previous(sql, params);
    return withSqlComment(next, commentTags(options));
  });
}

/**
 * Appends `/*key='value',...*\/` to `sql` (sorted keys, encoded values), unless `tags` is empty or
 * the SQL already ends with a comment.
 *
 * @example
 * ```ts
 * withSqlComment('select 1', { route: '/albums', method: 'findPage' });
 * // "select 1 /*method='findPage',route='%2Falbums'*\/"
 * ```
 */
export function withSqlComment(sql: string, tags: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(tags).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
  );
  if (entries.length === 0 || /\*\/\s*;?\s*$/.test(sql)) {
    return sql;
  }
  const comment = entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${encode(key)}='${encode(value)}'`)
    .join(',');
  const trimmed = sql.replace(/\s*;\s*$/, '');
  return `${trimmed} /*${comment}*/${trimmed.length < sql.trimEnd().length ? ';' : ''}`;
}

function commentTags(options: SqlCommenterOptions): Record<string, string | undefined> {
  const operation = currentOperation();
  if (!operation) {
    return {};
  }
  return {
    ...options.tags?.(),
    repository: operation.repository,
    method: operation.method,
    ...(operation.decorator ? { decorator: operation.decorator } : {}),
    ...(TransactionContext.currentTransactionContext() ? { transaction: 'true' } : {}),
    traceparent: options.traceparent?.(),
  };
}

/** URL-encodes per the sqlcommenter spec, with `'` escaped as `\'`. */
function encode(value: string): string {
  return encodeURIComponent(value).replaceAll("'", "\\'");
}
