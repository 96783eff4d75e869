import type { QueryEvent } from './query-event.js';

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release|start transaction|set transaction)\b/i;

/**
 * The kind of a statement, from its first keyword: `begin`/`commit`/`savepoint`... are `transaction`,
 * a `with` that ends in a write is `other`.
 *
 * @example
 * ```ts
 * queryKindOf('select `t0`.* from `track` as `t0`'); // 'select'
 * queryKindOf('savepoint trx1'); // 'transaction'
 * ```
 */
export function queryKindOf(sql: string): QueryEvent['kind'] {
  // MikroORM's reads start with `select ` (lower case, no comment): no regular expression for them.
  if (sql.startsWith('select ')) return 'select';
  if (TRANSACTION_CONTROL.test(sql)) return 'transaction';
  const keyword = /^\s*(?:\/\*.*?\*\/\s*)*(\w+)/s.exec(sql)?.[1]?.toLowerCase();
  switch (keyword) {
    case 'select':
    case 'with':
      return /^\s*with\b[\s\S]*\)\s*(insert|update|delete)\b/i.test(sql) ? 'other' : 'select';
    case 'insert':
    case 'update':
    case 'delete':
      return keyword;
    default:
      return 'other';
  }
}
