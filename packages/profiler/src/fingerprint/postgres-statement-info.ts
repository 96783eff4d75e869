import type { ParseResult } from 'libpg-query';
import type { SqlToken } from './sql-normalizer.js';
import type { SqlStatementInfo, SqlStatementKind } from './sql-statement-info.js';

/** Statement node names of libpg-query's parse tree, by kind. */
const KINDS: ReadonlyMap<string, SqlStatementKind> = new Map<string, SqlStatementKind>([
  ['SelectStmt', 'select'],
  ['InsertStmt', 'insert'],
  ['UpdateStmt', 'update'],
  ['DeleteStmt', 'delete'],
]);

/**
 * Renders normalized tokens as SQL PostgreSQL's parser accepts: every value and placeholder becomes
 * `$1`, collapsed lists `($1)`, every identifier is double-quoted (so `"user"` stays a name), and the
 * `, ...` of collapsed VALUES rows goes.
 *
 * @example
 * toPostgresSql(analyzeSql('select * from `user` where id in (?, ?)').tokens);
 * // 'select * from "user" where id in ($1)'
 */
export function toPostgresSql(tokens: readonly SqlToken[]): string {
  const parts: string[] = [];
  for (const token of tokens) {
    switch (token.kind) {
      case 'value':
        parts.push('$1');
        break;
      case 'list':
        parts.push(token.text.replaceAll('?', '$1').replaceAll('+', ''));
        break;
      case 'ident':
        parts.push(token.text.startsWith('"') ? token.text : `"${token.text}"`);
        break;
      case 'punct':
        if (token.text === '...') {
          if (parts[parts.length - 1] === ',') parts.pop();
        } else {
          parts.push(token.text);
        }
        break;
      default:
        parts.push(token.text);
    }
  }
  return parts.join(' ');
}

interface FoundTable {
  readonly name: string;
  readonly qualified: boolean;
  readonly location: number;
}

/**
 * Reads the kind and tables of a statement from libpg-query's parse tree: every `RangeVar` (the
 * relation of INSERT / UPDATE / DELETE, FROM and JOIN items at any depth) whose name is not a CTE's,
 * lower-cased, `schema.table` when qualified, deduplicated, in order of their position in the SQL. The
 * kind is the first statement's.
 *
 * @example
 * await loadModule();
 * postgresStatementInfo(parseSync('with x as (select * from a) update b set c = 1 from x'));
 * // { kind: 'update', tables: ['a', 'b'] }
 */
export function postgresStatementInfo(result: ParseResult): SqlStatementInfo {
  const found: FoundTable[] = [];
  const ctes = new Set<string>();
  const stack: unknown[] = [result.stmts ?? []];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (typeof record.relname === 'string') {
      const schema = typeof record.schemaname === 'string' ? record.schemaname : undefined;
      found.push({
        name: (schema ? `${schema}.${record.relname}` : record.relname).toLowerCase(),
        qualified: schema !== undefined,
        location: typeof record.location === 'number' ? record.location : -1,
      });
    }
    if (typeof record.ctename === 'string') ctes.add(record.ctename.toLowerCase());
    for (const key in record) {
      const value = record[key];
      if (value !== null && typeof value === 'object') stack.push(value);
    }
  }
  found.sort((a, b) => a.location - b.location);
  const tables: string[] = [];
  for (const table of found) {
    if ((table.qualified || !ctes.has(table.name)) && !tables.includes(table.name)) tables.push(table.name);
  }
  const stmt = result.stmts?.[0]?.stmt;
  const kind = stmt ? (KINDS.get(Object.keys(stmt)[0] ?? '') ?? 'other') : 'other';
  return { kind, tables };
}
