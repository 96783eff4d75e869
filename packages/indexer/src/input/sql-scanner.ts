/**
 * A small lexical pass over PostgreSQL text that knows what must not be touched: string literals
 * (`'it''s'`, `E'\''`), quoted identifiers (`"a;b"`), dollar-quoted bodies (`$x$ ... $x$`) and
 * comments. Both helpers below walk the text with it, so a `;` or `?` inside any of those is left alone.
 */
function skipQuoted(sql: string, start: number): number {
  const char = sql[start];
  if (char === "'" || char === '"') {
    const backslashEscapes = char === "'" && start > 0 && /[eE]/.test(sql[start - 1] ?? '');
    let i = start + 1;
    while (i < sql.length) {
      if (backslashEscapes && sql[i] === '\\') {
        i += 2;
        continue;
      }
      if (sql[i] === char) {
        if (sql[i + 1] === char) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return sql.length;
  }
  if (char === '-' && sql[start + 1] === '-') {
    const end = sql.indexOf('\n', start);
    return end === -1 ? sql.length : end;
  }
  if (char === '/' && sql[start + 1] === '*') {
    const end = sql.indexOf('*/', start + 2);
    return end === -1 ? sql.length : end + 2;
  }
  if (char === '$') {
    const tag = /^\$[A-Za-z_][A-Za-z0-9_]*\$|^\$\$/.exec(sql.slice(start, start + 64));
    if (tag) {
      const end = sql.indexOf(tag[0], start + tag[0].length);
      return end === -1 ? sql.length : end + tag[0].length;
    }
  }
  return start;
}

/**
 * Replaces MikroORM's `?` placeholders with PostgreSQL's `$1, $2, ...` (what `EXPLAIN` and the parser
 * take), leaving `?` inside literals, quoted identifiers and comments alone; `\?` (MikroORM's escape
 * for a literal question mark, e.g. the jsonb `?` operator) becomes `?`.
 *
 * @example
 * ```ts
 * toDollarPlaceholders(`select * from "a?" where x = ? and y in (?, ?)`);
 * // { sql: 'select * from "a?" where x = $1 and y in ($2, $3)', count: 3 }
 * ```
 */
export function toDollarPlaceholders(sql: string): { sql: string; count: number } {
  let out = '';
  let count = 0;
  let i = 0;
  while (i < sql.length) {
    const skipped = skipQuoted(sql, i);
    if (skipped > i) {
      out += sql.slice(i, skipped);
      i = skipped;
      continue;
    }
    const char = sql[i] as string;
    if (char === '\\' && sql[i + 1] === '?') {
      out += '?';
      i += 2;
      continue;
    }
    if (char === '?') {
      out += `$${++count}`;
    } else {
      out += char;
    }
    i++;
  }
  return { sql: out, count };
}

/** One statement of a SQL file, with where it starts (1-based line) and its comments kept. */
export interface SqlFileChunk {
  readonly text: string;
  readonly line: number;
}

/**
 * Splits SQL text on the `;` that end statements (not those inside literals, identifiers, dollar
 * quotes or comments); empty chunks (only whitespace or comments) are dropped.
 *
 * @example
 * ```ts
 * splitStatements("select ';'; -- calls: 3\nselect 2;").map((s) => s.text);
 * // ["select ';'", "-- calls: 3\nselect 2"]
 * ```
 */
export function splitStatements(sql: string): SqlFileChunk[] {
  const chunks: SqlFileChunk[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const raw = sql.slice(start, end);
    const text = raw.trim();
    if (stripComments(text).trim() !== '') {
      const leading = raw.length - raw.trimStart().length;
      chunks.push({ text, line: lineOf(sql, start + leading) });
    }
  };
  while (i < sql.length) {
    const skipped = skipQuoted(sql, i);
    if (skipped > i) {
      i = skipped;
      continue;
    }
    if (sql[i] === ';') {
      push(i);
      start = i + 1;
    }
    i++;
  }
  push(sql.length);
  return chunks;
}

/** The text without its `--` and block comments (literals untouched). */
export function stripComments(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const skipped = skipQuoted(sql, i);
    if (skipped > i) {
      const isComment = sql.startsWith('--', i) || sql.startsWith('/*', i);
      out += isComment ? ' ' : sql.slice(i, skipped);
      i = skipped;
      continue;
    }
    out += sql[i];
    i++;
  }
  return out;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
