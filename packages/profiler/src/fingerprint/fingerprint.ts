/**
 * Query fingerprints: which executions are "the same query".
 *
 * Decision on libpg-query (PostgreSQL's real parser, WASM), measured on this machine (Node 24, see
 * test/fingerprint/fingerprint-cost.test.ts, which prints the figures):
 * - The tokenizer (`normalizeSql`) costs ≈ 3.5–4.5 µs for a 190-character MikroORM select (≈ 1–3 ms for
 *   a 140 KB 5000-row insert); libpg-query's `fingerprintSync` ≈ 23–39 µs and `parseSync` ≈ 30 µs for the
 *   same select, plus ≈ 20 ms to import and initialise the WASM module. `fingerprintSql` then costs
 *   ≈ 0.1 µs for a repeated SQL (cache hit), ≈ 7 µs for new literals of a known query, ≈ 13 µs for a new
 *   query (tokenizer + tables + SHA-1), ≈ 40–50 µs for a new query with the PostgreSQL parser.
 * - `id` always comes from the tokenizer's normalized text, for every dialect, never from
 *   `fingerprintSync`, because:
 *   1. libpg-query rejects what the profiler mostly sees: MikroORM's logged template uses `?`
 *      placeholders (`in (?, ?)` is a syntax error for PostgreSQL), SQLite SQL uses backticks;
 *      converting `?` to `$n` safely needs the tokenizer anyway.
 *   2. An `id` that depends on whether the WASM module has finished loading (or on a parse failure)
 *      would split one query into two groups in a profile; the tokenizer's `id` is the same before and
 *      after `loadPostgresParser()`, and the same on SQLite and PostgreSQL.
 *   3. Its fingerprint merges what a profile should keep apart: `a = $1` and `a = any($1)` (one row vs
 *      an array) get the same fingerprint, as do `select a, b` and `select b, a`.
 *   4. The tokenizer already ignores what libpg-query ignores in practice: literals, placeholders, list
 *      lengths, VALUES rows, comments, whitespace, case and quoting.
 * - libpg-query is used where it is better: the TABLES and KIND. With `dialect: 'postgresql'` and the
 *   parser loaded, the normalized tokens are re-rendered as parseable PostgreSQL (`$1` for values, every
 *   identifier quoted) and parsed; tables are the parse tree's relations (parenthesised joins, CTE names,
 *   `lateral`, `from f(...)`, DDL: no heuristic), the kind is the statement node's. It runs once per
 *   distinct normalized text (a second cache keyed by it), not per distinct SQL, so inlined literals do
 *   not make it run again. Not loaded yet, or parse error: the tokenizer's heuristic (same `id`).
 * - Caching: a bounded LRU keyed by the input SQL (a repeated SQL is one Map lookup), then one keyed by
 *   the normalized text (distinct literals of one query share one `Fingerprint` object). SQL longer
 *   than `maxCachedLength` is not cached (bulk statements with inlined values would pin megabytes).
 */

import { hash } from 'node:crypto';
import { InvalidArgumentError } from '@stratum/core';
import type { ParseResult } from 'libpg-query';
import { LRUCache } from 'lru-cache';
import { postgresStatementInfo, toPostgresSql } from './postgres-statement-info.js';
import { analyzeSql, type SqlToken } from './sql-normalizer.js';
import { type SqlStatementInfo, type SqlStatementKind, sqlStatementInfo } from './sql-statement-info.js';

/** The SQL dialect a statement is written in. `generic` and `sqlite` use the tokenizer only. */
export type SqlDialect = 'postgresql' | 'sqlite' | 'generic';

/** What identifies a query across executions. */
export interface Fingerprint {
  /** 16 hex characters (the first 64 bits of the SHA-1 of `normalized`): stable across runs and dialects. */
  readonly id: string;
  /** The normalized SQL (see `normalizeSql`), e.g. `select * from track as t0 where t0.id in (?+)`. */
  readonly normalized: string;
  /**
   * Tables read or written: lower-case, unquoted, schema-qualified if given, deduplicated, in order of
   * appearance (after from / join / into / update / delete from); not CTE names, not subquery aliases.
   */
  readonly tables: readonly string[];
  /** The statement's kind (of its first statement, after any `with` list). */
  readonly kind: SqlStatementKind;
}

/** Options of {@link SqlFingerprinter}. */
export interface SqlFingerprinterOptions {
  /**
   * Maximum entries of each cache (by SQL text, and by normalized text).
   * @default 5000
   */
  readonly capacity?: number;
  /**
   * SQL longer than this (in characters) is fingerprinted but not cached.
   * @default 4096
   */
  readonly maxCachedLength?: number;
}

/** Default {@link SqlFingerprinterOptions.capacity}. */
export const DEFAULT_FINGERPRINT_CACHE_SIZE = 5000;

/** Default {@link SqlFingerprinterOptions.maxCachedLength}. */
export const DEFAULT_MAX_CACHED_SQL_LENGTH = 4096;

interface PostgresParser {
  parseSync(query: string): ParseResult;
}

let parser: PostgresParser | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads libpg-query (PostgreSQL's parser, WASM; ≈ 15 ms, once per process) so that
 * `fingerprintSql(sql, 'postgresql')` reads tables and kinds from real parse trees. Until it resolves
 * (or if it fails), fingerprints use the tokenizer only; `id` and `normalized` do not depend on it.
 *
 * @example
 * await loadPostgresParser();
 * fingerprintSql('select * from (a join b on a.id = b.a_id)', 'postgresql').tables; // ['a', 'b']
 */
export async function loadPostgresParser(): Promise<void> {
  if (parser) return;
  loading ??= (async () => {
    const module = await import('libpg-query');
    await module.loadModule();
    parser = module;
  })().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/**
 * Whether {@link loadPostgresParser} has completed.
 *
 * @example
 * if (!isPostgresParserLoaded()) void loadPostgresParser();
 */
export function isPostgresParserLoaded(): boolean {
  return parser !== undefined;
}

function positiveInteger(option: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new InvalidArgumentError(`SqlFingerprinter option ${option}`, 'a positive integer', value);
  }
  return value as number;
}

function createFingerprint(normalized: string, info: SqlStatementInfo): Fingerprint {
  return Object.freeze({
    id: hash('sha1', normalized, 'hex').slice(0, 16),
    normalized,
    tables: Object.freeze([...info.tables]),
    kind: info.kind,
  });
}

function postgresInfo(pg: PostgresParser, tokens: readonly SqlToken[]): SqlStatementInfo | undefined {
  try {
    return postgresStatementInfo(pg.parseSync(toPostgresSql(tokens)));
  } catch {
    return undefined;
  }
}

/**
 * Computes and caches fingerprints. Each instance has its own bounded caches; `fingerprintSql` uses a
 * shared default instance.
 *
 * @example
 * const fingerprinter = new SqlFingerprinter({ capacity: 1000 });
 * const a = fingerprinter.fingerprint('select * from track where id in (1, 2)', 'sqlite');
 * const b = fingerprinter.fingerprint('select * from `track` where id in (?, ?, ?)', 'sqlite');
 * a === b; // true (one object per normalized text)
 */
export class SqlFingerprinter {
  readonly #maxCachedLength: number;
  /** SQL text → fingerprint, tokenizer tables. */
  readonly #bySql: LRUCache<string, Fingerprint>;
  /** Normalized text → fingerprint, tokenizer tables. */
  readonly #byShape: LRUCache<string, Fingerprint>;
  /** The same two with libpg-query tables (`postgresql` once the parser is loaded). */
  readonly #parsedBySql: LRUCache<string, Fingerprint>;
  readonly #parsedByShape: LRUCache<string, Fingerprint>;

  constructor(options: SqlFingerprinterOptions = {}) {
    const capacity = positiveInteger('capacity', options.capacity ?? DEFAULT_FINGERPRINT_CACHE_SIZE);
    this.#maxCachedLength = positiveInteger(
      'maxCachedLength',
      options.maxCachedLength ?? DEFAULT_MAX_CACHED_SQL_LENGTH,
    );
    this.#bySql = new LRUCache({ max: capacity });
    this.#byShape = new LRUCache({ max: capacity });
    this.#parsedBySql = new LRUCache({ max: capacity });
    this.#parsedByShape = new LRUCache({ max: capacity });
  }

  /** Entries cached by SQL text (at most `2 × capacity`: tokenizer-only and parser-backed). */
  get size(): number {
    return this.#bySql.size + this.#parsedBySql.size;
  }

  /** Entries cached by normalized text (at most `2 × capacity`). */
  get shapes(): number {
    return this.#byShape.size + this.#parsedByShape.size;
  }

  /**
   * The fingerprint of `sql` (see {@link fingerprintSql}).
   *
   * @example
   * new SqlFingerprinter().fingerprint('delete from "track" where "id" = $1', 'postgresql').kind; // 'delete'
   */
  fingerprint(sql: string, dialect: SqlDialect = 'generic'): Fingerprint {
    const pg = dialect === 'postgresql' ? parser : undefined;
    const bySql = pg ? this.#parsedBySql : this.#bySql;
    const cacheable = sql.length <= this.#maxCachedLength;
    if (cacheable) {
      const hit = bySql.get(sql);
      if (hit) return hit;
    }
    const { text, tokens } = analyzeSql(sql);
    const byShape = pg ? this.#parsedByShape : this.#byShape;
    let fingerprint = byShape.get(text);
    if (!fingerprint) {
      const info = (pg && postgresInfo(pg, tokens)) || sqlStatementInfo(tokens);
      fingerprint = createFingerprint(text, info);
      byShape.set(text, fingerprint);
    }
    if (cacheable) bySql.set(sql, fingerprint);
    return fingerprint;
  }

  /**
   * Empties the caches.
   *
   * @example
   * fingerprinter.clear();
   */
  clear(): void {
    this.#bySql.clear();
    this.#byShape.clear();
    this.#parsedBySql.clear();
    this.#parsedByShape.clear();
  }
}

const shared = new SqlFingerprinter();

/**
 * The fingerprint of a SQL statement: a stable `id` of its normalized text (literals, placeholders,
 * list lengths, VALUES rows, comments, quoting and formatting ignored), the tables it touches and its
 * kind. Cached (5000 most recent SQL texts), so a repeated SQL costs a Map lookup. With `'postgresql'`
 * and {@link loadPostgresParser} done, tables and kind come from PostgreSQL's parser.
 *
 * @example
 * const a = fingerprintSql('select "t0".* from "track" as "t0" where "t0"."id" in (?, ?)');
 * const b = fingerprintSql('select `t0`.* from `track` as `t0` where `t0`.`id` in (1, 2, 3)', 'sqlite');
 * a.id === b.id; // true
 * a.normalized; // 'select t0.* from track as t0 where t0.id in (?+)'
 * a.tables; // ['track']
 * a.kind; // 'select'
 */
export function fingerprintSql(sql: string, dialect: SqlDialect = 'generic'): Fingerprint {
  return shared.fingerprint(sql, dialect);
}
