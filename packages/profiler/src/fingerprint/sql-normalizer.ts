/**
 * A single-pass SQL tokenizer that turns a statement into its fingerprint text: the same text for every
 * execution of "the same query", whatever its values, placeholders, formatting, comments or list lengths.
 *
 * Rules (SQLite and PostgreSQL lexical syntax; no dialect switch is needed):
 * - Literals and placeholders become `?`: `'strings'` (with `''` escapes), `E'…'` (backslash escapes),
 *   `X'…'`, `B'…'`, `N'…'`, `U&'…'`, `$$…$$` / `$tag$…$tag$`, numbers (ints, decimals, exponents, hex,
 *   `1_000`), a sign directly before a number when it cannot be a binary operator (at the start, after an
 *   operator, `(`, `,`, `[` or a keyword such as `select`, `then`, `limit`), `?`, `?NNN`, `$1`, `:name`
 *   (not `::`), and `true` / `false`.
 * - `null`, `true`, `false` and `unknown` are kept after `is` / `not` (`is null`, `is not null`, `not null`):
 *   `where a is null` and `where a = ?` mean different things. Anywhere else `null` is a value (`?`):
 *   MikroORM's template `set a = ?` and its formatted text `set a = null` must group.
 * - Comments (`-- …`, nested `/* … *\/`) are dropped, so sqlcommenter tags do not split fingerprints;
 *   whitespace is canonical (rebuilt from the tokens, never copied); a trailing `;` is dropped.
 * - Unquoted words are lower-cased; `"quoted"` and `` `quoted` `` identifiers are unquoted and lower-cased
 *   (re-quoted with `"` only when they are not simple names), so `"track"`, `` `track` `` and `Track`
 *   compare equal. (`"user"` therefore prints as `user`: the text is a fingerprint, not runnable SQL.)
 * - A parenthesised list whose items are all values becomes `(?+)` (`in (?)`, `in (1, 2, 3)`,
 *   `in ($1, $2)` → `in (?+)`); a list of such lists becomes `((?+)+)` (composite keys).
 * - The tuples after `values` collapse to the first one followed by `, ...`, whatever the row count
 *   (1 row or 5000 → `values (?, ?), ...`); inside that tuple `default` is a value.
 * - Consecutive identical `when … then …` arms of a `case` collapse to one, so MikroORM's batch update
 *   (`case when (id = ?) then ? when (id = ?) then ? … end`) groups whatever the batch size.
 *
 * `?` directly followed by `|` or `&` is PostgreSQL's jsonb operator, and `\?` (MikroORM's escaped `?`) is
 * the `?` operator; a bare `?` is always a placeholder (it prints the same either way).
 *
 * Known simplifications: a type modifier is a value list (`varchar(120)` → `varchar(?+)`); SQLite's
 * `@name` parameters and `[bracketed]` identifiers are not recognised (`[` is PostgreSQL's subscript);
 * `(-1)` alone in parentheses is a one-value list (`(?+)`).
 */

/** What a normalized token is. */
export type SqlTokenKind =
  /** An unquoted word (keyword or identifier), lower-cased. */
  | 'word'
  /** A quoted identifier, unquoted and lower-cased (re-quoted with `"` when not a simple name). */
  | 'ident'
  /** A literal or placeholder: always `?`. */
  | 'value'
  /** A collapsed list of values: `(?+)`, `((?+)+)`, … (parentheses included). */
  | 'list'
  /** An operator: `=`, `<>`, `||`, `->>`, `*`, … */
  | 'op'
  /** Punctuation: `(`, `)`, `,`, `.`, `;`, `[`, `]`, `::`, and `...` (collapsed VALUES rows). */
  | 'punct';

/** One token of a normalized statement. */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  readonly text: string;
}

/** A normalized statement: its fingerprint text and the tokens it was rendered from. */
export interface NormalizedSql {
  /** The normalized text, e.g. `select * from track where id in (?+)`. */
  readonly text: string;
  /** The normalized tokens (after collapsing lists, VALUES rows and CASE arms). */
  readonly tokens: readonly SqlToken[];
}

/**
 * Reserved words that are keywords rather than names: a `(` after them is not a function call
 * (`in (?+)`, `values (?, ?)`), and a name is not expected to be one of them.
 */
export const SQL_KEYWORDS: ReadonlySet<string> = new Set([
  'all',
  'and',
  'any',
  'array',
  'as',
  'asc',
  'between',
  'by',
  'case',
  'cast',
  'check',
  'collate',
  'constraint',
  'create',
  'cross',
  'default',
  'delete',
  'desc',
  'distinct',
  'do',
  'else',
  'end',
  'escape',
  'except',
  'exists',
  'fetch',
  'for',
  'foreign',
  'from',
  'full',
  'glob',
  'group',
  'having',
  'ilike',
  'in',
  'inner',
  'insert',
  'intersect',
  'into',
  'is',
  'join',
  'lateral',
  'left',
  'like',
  'limit',
  'natural',
  'not',
  'null',
  'offset',
  'on',
  'only',
  'or',
  'order',
  'outer',
  'over',
  'primary',
  'references',
  'regexp',
  'returning',
  'right',
  'select',
  'set',
  'similar',
  'some',
  'table',
  'then',
  'union',
  'unique',
  'update',
  'using',
  'values',
  'when',
  'where',
  'window',
  'with',
]);

/** Keywords after which `-1` / `+1` is a signed number (an expression starts there). */
const EXPRESSION_START_KEYWORDS: ReadonlySet<string> = new Set([
  'all',
  'and',
  'any',
  'between',
  'by',
  'case',
  'distinct',
  'else',
  'escape',
  'glob',
  'having',
  'ilike',
  'in',
  'is',
  'like',
  'limit',
  'not',
  'offset',
  'on',
  'or',
  'regexp',
  'return',
  'returning',
  'select',
  'set',
  'some',
  'then',
  'to',
  'values',
  'when',
  'where',
]);

/**
 * After these, `name (` is a name followed by a column list (`insert into t (a, b)`,
 * `create index i on t (a)`, `as x (a, b)`, `with x (a) as`), printed with a space, not a call.
 */
const NAME_THEN_LIST_KEYWORDS: ReadonlySet<string> = new Set(['into', 'table', 'on', 'references', 'as', 'with']);

const VALUE: SqlToken = Object.freeze({ kind: 'value', text: '?' });
const LIST: SqlToken = Object.freeze({ kind: 'list', text: '(?+)' });

/** Interned punctuation tokens (compared by identity). */
const PUNCT: ReadonlyMap<string, SqlToken> = new Map(
  ['(', ')', ',', '.', ';', '[', ']', '::', '...'].map((text) => [
    text,
    Object.freeze({ kind: 'punct', text }) as SqlToken,
  ]),
);
const OPEN = PUNCT.get('(') as SqlToken;
const CLOSE = PUNCT.get(')') as SqlToken;
const COMMA = PUNCT.get(',') as SqlToken;
const DOT = PUNCT.get('.') as SqlToken;
const SEMICOLON = PUNCT.get(';') as SqlToken;
const CAST = PUNCT.get('::') as SqlToken;
const ELLIPSIS = PUNCT.get('...') as SqlToken;
const OPEN_BRACKET = PUNCT.get('[') as SqlToken;
const CLOSE_BRACKET = PUNCT.get(']') as SqlToken;

/** Interned operator tokens. */
const OPS = new Map<string, SqlToken>();

function opToken(text: string): SqlToken {
  let token = OPS.get(text);
  if (!token) {
    token = Object.freeze({ kind: 'op', text });
    if (OPS.size < 256) OPS.set(text, token);
  }
  return token;
}

// Character codes.
const C_TAB = 9;
const C_LF = 10;
const C_CR = 13;
const C_SPACE = 32;
const C_BANG = 33;
const C_DQUOTE = 34;
const C_HASH = 35;
const C_DOLLAR = 36;
const C_PERCENT = 37;
const C_AMP = 38;
const C_SQUOTE = 39;
const C_LPAREN = 40;
const C_RPAREN = 41;
const C_STAR = 42;
const C_PLUS = 43;
const C_COMMA = 44;
const C_MINUS = 45;
const C_DOT = 46;
const C_SLASH = 47;
const C_0 = 48;
const C_9 = 57;
const C_COLON = 58;
const C_SEMI = 59;
const C_LT = 60;
const C_EQ = 61;
const C_GT = 62;
const C_QUESTION = 63;
const C_AT = 64;
const C_A = 65;
const C_Z = 90;
const C_LBRACKET = 91;
const C_BACKSLASH = 92;
const C_RBRACKET = 93;
const C_CARET = 94;
const C_UNDERSCORE = 95;
const C_BACKTICK = 96;
const C_a = 97;
const C_z = 122;
const C_PIPE = 124;
const C_TILDE = 126;

function isSpace(c: number): boolean {
  return c === C_SPACE || (c >= C_TAB && c <= C_CR);
}

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}

function isIdentStart(c: number): boolean {
  return (c >= C_a && c <= C_z) || (c >= C_A && c <= C_Z) || c === C_UNDERSCORE || c >= 0x80;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === C_DOLLAR;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= C_a && c <= 102) || (c >= C_A && c <= 70);
}

/** Operator characters (PostgreSQL's set, minus `?`, which is handled on its own). */
function isOpChar(c: number): boolean {
  switch (c) {
    case C_PLUS:
    case C_MINUS:
    case C_STAR:
    case C_SLASH:
    case C_LT:
    case C_GT:
    case C_EQ:
    case C_TILDE:
    case C_BANG:
    case C_AT:
    case C_HASH:
    case C_PERCENT:
    case C_CARET:
    case C_AMP:
    case C_PIPE:
      return true;
    default:
      return false;
  }
}

/** Whether an operator may end in `+` / `-` (PostgreSQL: only if it contains one of `~!@#%^&|`?`). */
function mayEndInSign(sql: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    switch (sql.charCodeAt(k)) {
      case C_TILDE:
      case C_BANG:
      case C_AT:
      case C_HASH:
      case C_PERCENT:
      case C_CARET:
      case C_AMP:
      case C_PIPE:
      case C_BACKTICK:
      case C_QUESTION:
        return true;
    }
  }
  return false;
}

/** Index after a `--` or `/* *\/` comment starting at `i`, or `i` when there is none. */
function skipComment(sql: string, i: number): number {
  const c = sql.charCodeAt(i);
  const next = sql.charCodeAt(i + 1);
  if (c === C_MINUS && next === C_MINUS) {
    let j = i + 2;
    while (j < sql.length) {
      const d = sql.charCodeAt(j);
      if (d === C_LF || d === C_CR) break;
      j++;
    }
    return j;
  }
  if (c === C_SLASH && next === C_STAR) {
    let depth = 1;
    let j = i + 2;
    while (j < sql.length && depth > 0) {
      const d = sql.charCodeAt(j);
      if (d === C_STAR && sql.charCodeAt(j + 1) === C_SLASH) {
        depth--;
        j += 2;
      } else if (d === C_SLASH && sql.charCodeAt(j + 1) === C_STAR) {
        depth++;
        j += 2;
      } else {
        j++;
      }
    }
    return j;
  }
  return i;
}

/** Index after whitespace and comments starting at `i`. */
function skipTrivia(sql: string, i: number): number {
  for (;;) {
    while (i < sql.length && isSpace(sql.charCodeAt(i))) i++;
    const j = skipComment(sql, i);
    if (j === i) return i;
    i = j;
  }
}

/** Index after a quoted section opened at `i` by `quote`, where a doubled quote escapes it. */
function skipQuoted(sql: string, i: number, quote: number, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (backslashEscapes && c === C_BACKSLASH) {
      j += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) {
        j += 2;
      } else {
        return j + 1;
      }
    } else {
      j++;
    }
  }
  return sql.length;
}

/** Index after a number starting at `i` (digits, `_`, one `.`, exponent, hex/octal/binary prefix). */
function skipNumber(sql: string, i: number): number {
  let j = i;
  const n = sql.length;
  if (sql.charCodeAt(j) === C_0) {
    const p = sql.charCodeAt(j + 1) | 0x20;
    if ((p === 120 /* x */ || p === 111 /* o */ || p === 98) /* b */ && isHexDigit(sql.charCodeAt(j + 2))) {
      j += 2;
      while (j < n && (isHexDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === C_UNDERSCORE)) j++;
      return j;
    }
  }
  while (j < n && (isDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === C_UNDERSCORE)) j++;
  if (sql.charCodeAt(j) === C_DOT && sql.charCodeAt(j + 1) !== C_DOT) {
    j++;
    while (j < n && (isDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === C_UNDERSCORE)) j++;
  }
  if ((sql.charCodeAt(j) | 0x20) === 101 /* e */) {
    let k = j + 1;
    const s = sql.charCodeAt(k);
    if (s === C_PLUS || s === C_MINUS) k++;
    if (isDigit(sql.charCodeAt(k))) {
      j = k;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
    }
  }
  // Junk directly after a number (`123abc`) belongs to it.
  while (j < n && isIdentPart(sql.charCodeAt(j))) j++;
  return j;
}

/** Whether a quoted identifier's content is a plain lower-case name that can be printed unquoted. */
function isSimpleName(name: string): boolean {
  if (name.length === 0 || !isIdentStart(name.charCodeAt(0))) return false;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (!isIdentPart(c) || (c >= C_A && c <= C_Z)) return false;
  }
  return true;
}

/** A quoted identifier's token: unescaped, lower-cased, re-quoted with `"` only when it is not simple. */
function identToken(raw: string, quote: number): SqlToken {
  const q = String.fromCharCode(quote);
  let name = raw.includes(q) ? raw.replaceAll(q + q, q) : raw;
  name = name.toLowerCase();
  return { kind: 'ident', text: isSimpleName(name) ? name : `"${name.replaceAll('"', '""')}"` };
}

interface ParenFrame {
  /** Index of the `(` or `[` token in the output. */
  readonly start: number;
  /** The first tuple after VALUES (never for `[`). */
  readonly values: boolean;
}

interface CaseFrame {
  /** Paren depth the `case` was opened at (its `when`s are at the same depth). */
  readonly depth: number;
  /** Output index of the current arm's `when`, or -1. */
  armStart: number;
  /** Output range of the previous kept arm, or -1. */
  prevStart: number;
  prevEnd: number;
}

/** VALUES handling: nothing, `values` seen (its tuple is next), or first tuple printed (drop the others). */
const VALUES_NONE = 0;
const VALUES_EXPECT_TUPLE = 1;
const VALUES_DROP_TUPLES = 2;

/**
 * Tokenizes and normalizes one SQL text (see the module comment for the rules), returning the
 * fingerprint text and the normalized tokens (what table extraction works on).
 *
 * @example
 * const { text, tokens } = analyzeSql('SELECT * FROM "track" WHERE id IN (1, 2, 3)');
 * text; // 'select * from track where id in (?+)'
 * tokens.map((t) => t.kind); // ['word', 'op', 'word', 'ident', 'word', 'word', 'word', 'list']
 */
export function analyzeSql(sql: string): NormalizedSql {
  const state = new Normalization(sql);
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (
      (c === C_MINUS && sql.charCodeAt(i + 1) === C_MINUS) ||
      (c === C_SLASH && sql.charCodeAt(i + 1) === C_STAR)
    ) {
      i = skipComment(sql, i);
    } else if (state.dropDepth > 0) {
      i = state.skipInDroppedTuple(i, c);
    } else {
      i = state.token(i, c);
    }
  }
  return state.finish();
}

/**
 * The state of one {@link analyzeSql} run: the output tokens, the open parentheses and CASEs, and
 * where a VALUES list is. Each lexing step takes the position of a character and returns where the
 * next one starts.
 */
class Normalization {
  readonly out: SqlToken[] = [];
  readonly parens: ParenFrame[] = [];
  readonly cases: CaseFrame[] = [];
  valuesState = VALUES_NONE;
  /** > 0 while dropping a further VALUES tuple: its paren depth. */
  dropDepth = 0;

  constructor(readonly sql: string) {}

  /** The fingerprint text and tokens, without trailing semicolons. */
  finish(): NormalizedSql {
    const { out } = this;
    while (out.length > 0 && this.last() === SEMICOLON) out.pop();
    return { text: renderSqlTokens(out), tokens: out };
  }

  /** Lexes the token starting at `i` (not a space, a comment, or inside a dropped tuple). */
  token(i: number, c: number): number {
    // After the first VALUES tuple: `, (…)` is another row, dropped.
    if (this.valuesState === VALUES_DROP_TUPLES) {
      const dropped = this.startDroppedTuple(i, c);
      if (dropped >= 0) return dropped;
    }
    if (isIdentStart(c)) return this.word(i, c);
    const punctuation = this.punctuation(i, c);
    if (punctuation >= 0) return punctuation;
    if (isDigit(c)) {
      const end = skipNumber(this.sql, i);
      this.pushValue();
      return end;
    }
    if (isOpChar(c)) return this.operator(i, c);
    // Anything else ({, }, stray characters): keep as an operator-like token.
    this.push(opToken(this.sql[i] as string));
    return i + 1;
  }

  /**
   * Dropping a further VALUES tuple: lexes (strings, comments, quotes must not confuse the depth) but
   * emits nothing.
   */
  skipInDroppedTuple(i: number, c: number): number {
    const { sql } = this;
    if (c === C_LPAREN) {
      this.dropDepth++;
      return i + 1;
    }
    if (c === C_RPAREN) {
      this.dropDepth--;
      return i + 1;
    }
    if (c === C_SQUOTE) {
      const e = i > 0 && (sql.charCodeAt(i - 1) | 0x20) === 101 /* E'…' */ && !isIdentPart(sql.charCodeAt(i - 2));
      return skipQuoted(sql, i, C_SQUOTE, e);
    }
    if (c === C_DQUOTE || c === C_BACKTICK) return skipQuoted(sql, i, c, false);
    if (c === C_DOLLAR) return skipDollar(sql, i).end;
    if (isIdentStart(c)) {
      let j = i;
      while (j < sql.length && isIdentPart(sql.charCodeAt(j))) j++;
      return j;
    }
    return i + 1;
  }

  /** `, (` after the first VALUES tuple: starts dropping that row (returns -1, and ends VALUES, otherwise). */
  startDroppedTuple(i: number, c: number): number {
    if (c === C_COMMA) {
      const j = skipTrivia(this.sql, i + 1);
      if (this.sql.charCodeAt(j) === C_LPAREN) {
        this.dropDepth = 1;
        return j + 1;
      }
    }
    this.valuesState = VALUES_NONE;
    return -1;
  }

  /** A word, or one of the string literals that start with a letter (E'', X'', B'', N'', U&''). */
  word(i: number, c: number): number {
    const { sql } = this;
    const start = i;
    let end = i + 1;
    while (end < sql.length && isIdentPart(sql.charCodeAt(end))) end++;
    const len = end - start;
    const next = sql.charCodeAt(end);
    if (len === 1 && next === C_SQUOTE) {
      const p = c | 0x20;
      if (p === 101 /* e */ || p === 120 /* x */ || p === 98 /* b */ || p === 110 /* n */) {
        const after = skipQuoted(sql, end, C_SQUOTE, p === 101);
        this.pushValue();
        return after;
      }
    }
    if (len === 1 && (c | 0x20) === 117 /* u */ && next === C_AMP && sql.charCodeAt(end + 1) === C_SQUOTE) {
      const after = skipQuoted(sql, end + 1, C_SQUOTE, false);
      this.pushValue();
      return after;
    }
    if (this.valuesState === VALUES_EXPECT_TUPLE) this.valuesState = VALUES_NONE;
    this.pushWord(sql.slice(start, end).toLowerCase());
    return end;
  }

  /** Quotes, brackets, separators and placeholders; -1 when `c` starts none of them. */
  punctuation(i: number, c: number): number {
    const { sql } = this;
    switch (c) {
      case C_SQUOTE: {
        const end = skipQuoted(sql, i, C_SQUOTE, false);
        this.pushValue();
        return end;
      }
      case C_DQUOTE:
      case C_BACKTICK: {
        const end = skipQuoted(sql, i, c, false);
        const closed = sql.charCodeAt(end - 1) === c && end - i >= 2;
        this.push(identToken(sql.slice(i + 1, closed ? end - 1 : end), c));
        return end;
      }
      case C_LPAREN:
        this.parens.push({ start: this.out.length, values: this.valuesState === VALUES_EXPECT_TUPLE });
        this.valuesState = VALUES_NONE;
        this.out.push(OPEN);
        return i + 1;
      case C_RPAREN:
        this.valuesState = VALUES_NONE;
        this.closeParen();
        return i + 1;
      case C_LBRACKET:
        this.parens.push({ start: this.out.length, values: false });
        this.push(OPEN_BRACKET);
        return i + 1;
      case C_RBRACKET:
        this.closeBracket();
        return i + 1;
      case C_COMMA:
      case C_SEMI:
        this.push(PUNCT.get(sql[i] as string) as SqlToken);
        return i + 1;
      case C_DOT:
        return this.dot(i);
      case C_QUESTION:
        return this.question(i);
      case C_DOLLAR:
        return this.dollar(i);
      case C_COLON:
        return this.colon(i);
      case C_BACKSLASH:
        if (sql.charCodeAt(i + 1) === C_QUESTION) {
          this.push(opToken('?'));
          return i + 2;
        }
        this.push(opToken('\\'));
        return i + 1;
      default:
        return -1;
    }
  }

  /** `.5` (a number where an operand goes) or the `.` of a qualified name. */
  dot(i: number): number {
    if (isDigit(this.sql.charCodeAt(i + 1))) {
      const prev = this.last();
      const afterName = prev && (prev.kind === 'word' || prev.kind === 'ident' || prev.text === ')');
      if (!afterName) {
        const end = skipNumber(this.sql, i + 1);
        this.pushValue();
        return end;
      }
    }
    this.push(DOT);
    return i + 1;
  }

  /** `?|`, `?&` (PostgreSQL JSON operators), or a `?` / `?NNN` placeholder. */
  question(i: number): number {
    const { sql } = this;
    const next = sql.charCodeAt(i + 1);
    if (next === C_PIPE || next === C_AMP) {
      this.push(opToken(next === C_PIPE ? '?|' : '?&'));
      return i + 2;
    }
    let end = i + 1;
    while (end < sql.length && isDigit(sql.charCodeAt(end))) end++;
    this.pushValue();
    return end;
  }

  /** `$1`, a dollar-quoted string or `$name` (values), or a lone `$`. */
  dollar(i: number): number {
    const { sql } = this;
    if (isDigit(sql.charCodeAt(i + 1))) {
      let end = i + 1;
      while (end < sql.length && isDigit(sql.charCodeAt(end))) end++;
      this.pushValue();
      return end;
    }
    const dollar = skipDollar(sql, i);
    if (dollar.value) {
      this.pushValue();
    } else {
      this.push(opToken('$'));
    }
    return dollar.end;
  }

  /** `::` (a cast), `:name` where an operand goes (a placeholder), `:=` or `:`. */
  colon(i: number): number {
    const { sql } = this;
    const next = sql.charCodeAt(i + 1);
    if (next === C_COLON) {
      this.push(CAST);
      return i + 2;
    }
    if (isIdentStart(next) && this.operandExpected()) {
      let end = i + 2;
      while (end < sql.length && isIdentPart(sql.charCodeAt(end))) end++;
      this.pushValue();
      return end;
    }
    this.push(opToken(next === C_EQ ? ':=' : ':'));
    return next === C_EQ ? i + 2 : i + 1;
  }

  /** An operator, or a signed number where an operand is expected. */
  operator(i: number, c: number): number {
    const { sql } = this;
    // A sign directly before a number where an operand is expected: part of the literal.
    if ((c === C_MINUS || c === C_PLUS) && this.operandExpected()) {
      const d = sql.charCodeAt(i + 1);
      if (isDigit(d) || (d === C_DOT && isDigit(sql.charCodeAt(i + 2)))) {
        const end = skipNumber(sql, d === C_DOT ? i + 2 : i + 1);
        this.pushValue();
        return end;
      }
    }
    const start = i;
    let end = i + 1;
    while (end < sql.length && isOpChar(sql.charCodeAt(end))) {
      const d = sql.charCodeAt(end);
      const e = sql.charCodeAt(end + 1);
      if ((d === C_MINUS && e === C_MINUS) || (d === C_SLASH && e === C_STAR)) break;
      end++;
    }
    // PostgreSQL: a multi-character operator cannot end in + or - unless it has one of ~!@#%^&|`?.
    while (end - start > 1 && !mayEndInSign(sql, start, end)) {
      const d = sql.charCodeAt(end - 1);
      if (d !== C_PLUS && d !== C_MINUS) break;
      end--;
    }
    this.push(opToken(sql.slice(start, end)));
    return end;
  }

  last(): SqlToken | undefined {
    return this.out[this.out.length - 1];
  }

  /** Whether a sign or `:name` here starts an operand (rather than following one). */
  operandExpected(): boolean {
    const prev = this.last();
    if (!prev) return true;
    switch (prev.kind) {
      case 'op':
        return true;
      case 'punct':
        return prev.text === '(' || prev.text === ',' || prev.text === '[' || prev.text === ';';
      case 'word':
        return EXPRESSION_START_KEYWORDS.has(prev.text);
      default:
        return false;
    }
  }

  closeParen(): void {
    const { out, parens } = this;
    const frame = out[parens[parens.length - 1]?.start ?? -1] === OPEN ? parens.pop() : undefined;
    if (!frame) {
      out.push(CLOSE);
      return;
    }
    if (frame.values) {
      out.push(CLOSE, COMMA, ELLIPSIS);
      this.valuesState = VALUES_DROP_TUPLES;
      return;
    }
    if (!this.collapseList(frame, '(', ')')) out.push(CLOSE);
  }

  closeBracket(): void {
    const { out, parens } = this;
    const frame = out[parens[parens.length - 1]?.start ?? -1] === OPEN_BRACKET ? parens.pop() : undefined;
    if (!frame || !this.collapseList(frame, '[', ']')) out.push(CLOSE_BRACKET);
  }

  /**
   * Replaces `( item , item , … )` (or `[ … ]`) by one `list` token when every item is one value, or
   * every item is the same collapsed list; returns whether it did.
   */
  collapseList(frame: ParenFrame, open: string, close: string): boolean {
    const { out } = this;
    const first = out[frame.start + 1];
    const end = out.length;
    if (first && (first.kind === 'value' || first.kind === 'list') && (end - frame.start) % 2 === 0) {
      let uniform = true;
      for (let k = frame.start + 1; k < end; k += 2) {
        const item = out[k];
        if (!item || item.kind !== first.kind || item.text !== first.text || (k + 1 < end && out[k + 1] !== COMMA)) {
          uniform = false;
          break;
        }
      }
      if (uniform) {
        out.length = frame.start;
        out.push(
          first.kind === 'value' && open === '(' ? LIST : { kind: 'list', text: `${open}${first.text}+${close}` },
        );
        return true;
      }
    }
    return false;
  }

  /** Ends the current CASE arm at the current output position; drops it if it repeats the previous one. */
  endCaseArm(frame: CaseFrame): void {
    if (frame.armStart < 0) return;
    const { out } = this;
    const start = frame.armStart;
    const end = out.length;
    let same = frame.prevStart >= 0 && end - start === frame.prevEnd - frame.prevStart;
    for (let k = 0; same && k < end - start; k++) {
      const a = out[start + k];
      const b = out[frame.prevStart + k];
      same = a !== undefined && b !== undefined && a.kind === b.kind && a.text === b.text;
    }
    if (same) {
      out.length = start;
    } else {
      frame.prevStart = start;
      frame.prevEnd = end;
    }
    frame.armStart = -1;
  }

  pushWord(word: string): void {
    const { out } = this;
    const prev = this.last();
    switch (word) {
      case 'null':
      case 'true':
      case 'false':
      case 'unknown':
        if (prev && prev.kind === 'word' && (prev.text === 'is' || prev.text === 'not')) {
          out.push({ kind: 'word', text: word });
        } else if (word === 'unknown') {
          out.push({ kind: 'word', text: word });
        } else {
          out.push(VALUE);
        }
        return;
      case 'default': {
        // `default` in a VALUES row is a value like any other: rows with and without it group.
        out.push(this.parens[this.parens.length - 1]?.values ? VALUE : { kind: 'word', text: word });
        return;
      }
      case 'values':
        out.push({ kind: 'word', text: word });
        this.valuesState = VALUES_EXPECT_TUPLE;
        return;
      case 'case':
        out.push({ kind: 'word', text: word });
        this.cases.push({ depth: this.parens.length, armStart: -1, prevStart: -1, prevEnd: -1 });
        return;
      case 'when':
      case 'else':
      case 'end': {
        const frame = this.cases[this.cases.length - 1];
        if (frame && frame.depth === this.parens.length) {
          this.endCaseArm(frame);
          if (word === 'when') frame.armStart = out.length;
          if (word === 'end') this.cases.pop();
        }
        out.push({ kind: 'word', text: word });
        return;
      }
      default:
        out.push({ kind: 'word', text: word });
    }
  }

  push(token: SqlToken): void {
    if (this.valuesState === VALUES_EXPECT_TUPLE) this.valuesState = VALUES_NONE;
    this.out.push(token);
  }

  pushValue(): void {
    if (this.valuesState === VALUES_EXPECT_TUPLE) this.valuesState = VALUES_NONE;
    this.out.push(VALUE);
  }
}

/**
 * Where a `$` at `i` ends: after a `$tag$…$tag$` / `$$…$$` string (`value: true`), after a `$name`
 * placeholder (SQLite; `value: true`), or after the lone `$` (`value: false`).
 */
function skipDollar(sql: string, i: number): { end: number; value: boolean } {
  let j = i + 1;
  while (j < sql.length && isIdentPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== C_DOLLAR) j++;
  if (sql.charCodeAt(j) === C_DOLLAR && (j === i + 1 || isIdentStart(sql.charCodeAt(i + 1)))) {
    const tag = sql.slice(i, j + 1);
    const close = sql.indexOf(tag, j + 1);
    return { end: close < 0 ? sql.length : close + tag.length, value: true };
  }
  if (j > i + 1 && isIdentStart(sql.charCodeAt(i + 1))) return { end: j, value: true };
  return { end: i + 1, value: false };
}

/** Whether token `k` is a name that is followed by a column list rather than being called. */
function isNameBeforeList(tokens: readonly SqlToken[], k: number): boolean {
  // Walk back over a qualified name `a.b.c` to the token before it.
  let j = k;
  while (j >= 2 && tokens[j - 1]?.text === '.' && (tokens[j - 2]?.kind === 'word' || tokens[j - 2]?.kind === 'ident')) {
    j -= 2;
  }
  const before = tokens[j - 1];
  return before !== undefined && before.kind === 'word' && NAME_THEN_LIST_KEYWORDS.has(before.text);
}

/**
 * Prints normalized tokens with canonical spacing: one space between tokens, none inside `( )` and
 * `[ ]`, before `,` / `;`, around `.` and `::`, and between a function name and its `(`.
 *
 * @example
 * renderSqlTokens(analyzeSql('select COUNT( * ) from t').tokens); // 'select count(*) from t'
 */
export function renderSqlTokens(tokens: readonly SqlToken[]): string {
  let text = '';
  let prev: SqlToken | undefined;
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k] as SqlToken;
    if (prev && needsSpace(tokens, k, prev, token)) text += ' ';
    text += token.text;
    prev = token;
  }
  return text;
}

function needsSpace(tokens: readonly SqlToken[], k: number, prev: SqlToken, token: SqlToken): boolean {
  if (token.kind === 'punct') {
    switch (token.text) {
      case ')':
      case ']':
      case ',':
      case ';':
      case '.':
      case '::':
      case '[':
        return false;
    }
  }
  if (prev.kind === 'punct') {
    switch (prev.text) {
      case '(':
      case '[':
      case '.':
      case '::':
        return false;
    }
  }
  if (token.kind === 'list' && token.text.startsWith('[')) return false;
  if (token.text === '(' || token.kind === 'list') {
    const isName = prev.kind === 'ident' || (prev.kind === 'word' && !SQL_KEYWORDS.has(prev.text));
    return !isName || isNameBeforeList(tokens, k - 1);
  }
  return true;
}

/**
 * Normalizes a SQL statement into its fingerprint text: literals and placeholders become `?`, lists of
 * values `(?+)`, VALUES rows `(…), ...`, comments go, identifiers are unquoted and everything is
 * lower-cased with canonical spacing. The template MikroORM logs (`?`), its formatted text (values
 * inlined) and PostgreSQL's `$1` form all give the same text.
 *
 * @example
 * normalizeSql('select "t0".* from "track" as "t0" where "t0"."id" in (1, 2, 3)');
 * // 'select t0.* from track as t0 where t0.id in (?+)'
 * normalizeSql('insert into `genre` (`id`, `name`) values (?, ?), (?, ?)');
 * // 'insert into genre (id, name) values (?, ?), ...'
 */
export function normalizeSql(sql: string): string {
  return analyzeSql(sql).text;
}
