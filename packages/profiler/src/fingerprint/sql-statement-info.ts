import type { SqlToken } from './sql-normalizer.js';

/** What a statement does (its first statement, after any `with` list). */
export type SqlStatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

/** What a statement does and which tables it touches. */
export interface SqlStatementInfo {
  readonly kind: SqlStatementKind;
  /**
   * Tables read or written: lower-case, unquoted, schema-qualified if the SQL qualifies them,
   * deduplicated, in order of appearance. CTE names, subquery aliases and table functions are not tables.
   */
  readonly tables: readonly string[];
}

/** Words that end a table reference instead of being its alias. */
const NOT_AN_ALIAS: ReadonlySet<string> = new Set([
  'as',
  'cross',
  'default',
  'do',
  'except',
  'fetch',
  'for',
  'from',
  'full',
  'group',
  'having',
  'indexed',
  'inner',
  'intersect',
  'join',
  'left',
  'limit',
  'natural',
  'not',
  'offset',
  'on',
  'order',
  'outer',
  'returning',
  'right',
  'select',
  'set',
  'tablesample',
  'union',
  'using',
  'values',
  'when',
  'where',
  'window',
  'with',
]);

/** First words of a parenthesised statement (subquery, CTE body, data-modifying CTE). */
const STATEMENT_STARTS: ReadonlySet<string> = new Set([
  'select',
  'with',
  'values',
  'insert',
  'update',
  'delete',
  'table',
]);

/** Statement kinds by first word (`values …` and `table t` are selects, SQLite's `replace` an insert). */
const KINDS: ReadonlyMap<string, SqlStatementKind> = new Map<string, SqlStatementKind>([
  ['select', 'select'],
  ['values', 'select'],
  ['table', 'select'],
  ['insert', 'insert'],
  ['replace', 'insert'],
  ['update', 'update'],
  ['delete', 'delete'],
]);

/** `update` after these is not `update <table>`: `for update`, `do update set`, `for no key update`, `on update`. */
const NOT_UPDATE_TABLE: ReadonlySet<string> = new Set(['for', 'do', 'key', 'on']);

function isName(token: SqlToken | undefined): token is SqlToken {
  return token !== undefined && (token.kind === 'word' || token.kind === 'ident');
}

/** A name token's text, unquoted (identifiers that needed quotes are kept quoted in normalized text). */
function nameText(token: SqlToken): string {
  const text = token.text;
  return token.kind === 'ident' && text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text;
}

function isWord(token: SqlToken | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'word' && token.text === text;
}

function isPunct(token: SqlToken | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

/**
 * Reads the kind and tables of a statement from its normalized tokens (see `analyzeSql`). A heuristic
 * over tokens, not a parser: a table is the name after `from` / `join` / `into` / `update` /
 * `delete … using` / `truncate` / `copy` at statement level (not inside a function call such as
 * `extract(year from d)`, not after `is distinct`), minus CTE names; `from f(…)` is a function.
 *
 * @example
 * sqlStatementInfo(analyzeSql('with x as (select * from a) update b set c = 1 from x').tokens);
 * // { kind: 'update', tables: ['a', 'b'] }
 */
export function sqlStatementInfo(tokens: readonly SqlToken[]): SqlStatementInfo {
  const n = tokens.length;
  // Matching parenthesis of every `(` (or n when unbalanced).
  const match = new Int32Array(n).fill(n);
  const open: number[] = [];
  for (let k = 0; k < n; k++) {
    const token = tokens[k] as SqlToken;
    if (token.kind !== 'punct') continue;
    if (token.text === '(') open.push(k);
    else if (token.text === ')') {
      const start = open.pop();
      if (start !== undefined) match[start] = k;
    }
  }

  const ctes = new Set<string>();
  const tables: string[] = [];
  const seen = new Set<string>();
  /** For each open paren (and the top level): does it hold a statement (true) or an expression? */
  const statement: boolean[] = [true];
  let deleteOrMerge = false;
  /** Indexes of `(` that open a FROM item: a subquery, or a parenthesised join. */
  const joinParens = new Set<number>();
  /** Statement depth of a `copy` (its `from` is a file or stdin), or -1. */
  let copyDepth = -1;

  const addTable = (name: string, qualified: boolean): void => {
    if ((!qualified && ctes.has(name)) || seen.has(name)) return;
    seen.add(name);
    tables.push(name);
  };

  /** Index after a `with [recursive] name [(cols)] as [not] [materialized] (…), …` list starting at `k`. */
  const readCtes = (k: number): number => {
    let j = k + 1;
    if (isWord(tokens[j], 'recursive')) j++;
    for (;;) {
      const name = tokens[j];
      if (!isName(name)) return j;
      j++;
      if (isPunct(tokens[j], '(')) j = (match[j] as number) + 1;
      if (!isWord(tokens[j], 'as')) return j; // not a CTE: `with time zone`, `with ordinality`, …
      ctes.add(nameText(name));
      j++;
      if (isWord(tokens[j], 'not')) j++;
      if (isWord(tokens[j], 'materialized')) j++;
      if (!isPunct(tokens[j], '(')) return j;
      j = (match[j] as number) + 1;
      if (!isPunct(tokens[j], ',')) return j;
      j++;
    }
  };

  /**
   * Reads table references from `k`: `[only|lateral] name[.name…] [[as] alias [(cols)]]`, a
   * parenthesised subquery / join (its tables are read when the scan gets inside), or `f(…)` (a function,
   * unless `columnList`, as after `into`). With `list`, continues after `,`.
   */
  const readTables = (k: number, list: boolean, columnList: boolean): void => {
    let j = k;
    for (;;) {
      while (isWord(tokens[j], 'only') || isWord(tokens[j], 'lateral')) j++;
      const first = tokens[j];
      if (isPunct(first, '(')) {
        joinParens.add(j); // `from (a join b on …)`: read inside as a FROM list
        j = (match[j] as number) + 1;
      } else if (isName(first)) {
        let name = nameText(first);
        let qualified = false;
        j++;
        while (isPunct(tokens[j], '.') && isName(tokens[j + 1])) {
          name += `.${nameText(tokens[j + 1] as SqlToken)}`;
          qualified = true;
          j += 2;
        }
        if (tokens[j]?.kind === 'list' && !columnList) {
          j++; // a table function whose arguments are all values: generate_series(?+)
        } else if (isPunct(tokens[j], '(') && !columnList) {
          j = (match[j] as number) + 1; // a table function: unnest(…), json_each(…)
        } else {
          addTable(name, qualified);
        }
      } else {
        return;
      }
      // Alias: `as x`, or a bare name that is not a clause keyword; then an optional column-alias list.
      if (isWord(tokens[j], 'as')) j += 2;
      else if (isName(tokens[j]) && !(tokens[j]?.kind === 'word' && NOT_AN_ALIAS.has(tokens[j]?.text ?? ''))) j++;
      if (isPunct(tokens[j], '(') && !columnList) j = (match[j] as number) + 1;
      if (!list || !isPunct(tokens[j], ',')) return;
      j++;
    }
  };

  for (let k = 0; k < n; k++) {
    const token = tokens[k] as SqlToken;
    if (token.kind === 'punct') {
      if (token.text === '(') {
        const next = tokens[k + 1];
        const subquery = next !== undefined && next.kind === 'word' && STATEMENT_STARTS.has(next.text);
        statement.push(subquery || joinParens.has(k));
        if (!subquery && joinParens.has(k)) readTables(k + 1, false, false);
      } else if (token.text === ')') {
        if (statement.length > 1) statement.pop();
      } else if (token.text === ';') {
        copyDepth = -1;
      }
      continue;
    }
    if (token.kind !== 'word' || !statement[statement.length - 1]) continue;
    const prev = tokens[k - 1];
    switch (token.text) {
      case 'with':
        readCtes(k);
        break;
      case 'delete':
      case 'merge':
        deleteOrMerge = true;
        break;
      case 'from':
        // Not `is distinct from`, not `copy t from stdin`.
        if (!isWord(prev, 'distinct') && copyDepth !== statement.length) readTables(k + 1, true, false);
        break;
      case 'copy':
        copyDepth = statement.length;
        readTables(k + 1, false, true);
        break;
      case 'join':
        readTables(k + 1, false, false);
        break;
      case 'into':
        readTables(k + 1, false, true);
        break;
      case 'update':
        if (!(prev?.kind === 'word' && NOT_UPDATE_TABLE.has(prev.text))) {
          let j = k + 1;
          if (isWord(tokens[j], 'or') && isName(tokens[j + 1])) j += 2; // SQLite: update or replace t
          if (!isWord(tokens[j], 'set')) readTables(j, false, false);
        }
        break;
      case 'using':
        if (deleteOrMerge && !isPunct(tokens[k + 1], '(')) readTables(k + 1, true, false);
        break;
      case 'truncate':
        readTables(isWord(tokens[k + 1], 'table') ? k + 2 : k + 1, true, true);
        break;
    }
  }

  // The kind: the first word, after leading parentheses and the `with` list.
  let k = 0;
  while (isPunct(tokens[k], '(')) k++;
  if (isWord(tokens[k], 'with')) k = readCtes(k);
  const first = tokens[k];
  return { kind: first?.kind === 'word' ? (KINDS.get(first.text) ?? 'other') : 'other', tables };
}
