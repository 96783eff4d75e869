import type { QueryEvent } from './query-event.js';
import { queryKindOf } from './query-kind.js';

/** One distinct SQL text an instrumented ORM sent, kept once: see {@link SqlTextTable}. */
export interface SqlText {
  /** The text, as first seen: the one string object every later query of the same text is given. */
  readonly sql: string;
  /** Its statement kind, found once. */
  readonly kind: QueryEvent['kind'];
  /** Queries sent with this text since it was (last) added to the table. */
  count: number;
  /**
   * A slot for one recorder (the always-on profiler): who last filed this text, and where (its query
   * shape). A repeated query is then found by one comparison, not a lookup by its text.
   */
  recorder: object | undefined;
  recorded: unknown;
}

/**
 * A record for a text that is not kept in a table (too long, or not what `onQuery` saw): the same
 * fields, counted from nothing, garbage after its query.
 *
 * @example
 * ```ts
 * untrackedSqlText('insert into t values (1), (2)').kind; // 'insert'
 * ```
 */
export function untrackedSqlText(sql: string): SqlText {
  return { sql, kind: queryKindOf(sql), count: 0, recorder: undefined, recorded: undefined };
}

/** Characters a {@link sampledHash} reads spread along a text, besides its last {@link TAIL} characters. */
const SAMPLES = 16;
const TAIL = 8;

/**
 * The distinct SQL texts an instrumented ORM sends, found by a hash of a sample of their characters
 * and confirmed by a full comparison.
 *
 * MikroORM builds a new string for every query, so a `Map` keyed by the text hashes all of its
 * characters every time (≈ 200 ns for a 230-character select, measured in place: the largest item
 * of the capture path). Reading ≤ 25 characters and comparing the text with the one kept costs a
 * fraction of that. Texts that share the sampled characters share a bucket and are told apart by the
 * comparison. The kept string is then what the query's event carries, so the later lookups by text
 * (per-shape statistics, fingerprints) hash it once in its life, not once per query.
 *
 * Bounded: past `capacity` texts the table starts over; texts longer than `maxLength` (bulk statements
 * with inlined values) are never kept.
 *
 * @example
 * ```ts
 * const texts = new SqlTextTable();
 * const a = texts.intern('select 1 from t where id = ?');
 * const b = texts.intern(['select 1', 'from t where id = ?'].join(' '));
 * a === b; // true: one record, b.count is 2
 * ```
 */
export class SqlTextTable {
  readonly #buckets = new Map<number, SqlText | SqlText[]>();
  #size = 0;

  constructor(
    readonly capacity = 10_000,
    readonly maxLength = 4096,
  ) {}

  /** Texts kept. */
  get size(): number {
    return this.#size;
  }

  /** The record of `sql`, added on first sight, with its count incremented; `undefined` past `maxLength`. */
  intern(sql: string): SqlText | undefined {
    if (sql.length > this.maxLength) {
      return undefined;
    }
    const hash = sampledHash(sql);
    const bucket = this.#buckets.get(hash);
    if (bucket !== undefined) {
      if (!Array.isArray(bucket)) {
        if (bucket.sql === sql) {
          bucket.count++;
          return bucket;
        }
      } else {
        for (const text of bucket) {
          if (text.sql === sql) {
            text.count++;
            return text;
          }
        }
      }
    }
    if (this.#size >= this.capacity) {
      this.#buckets.clear();
      this.#size = 0;
      return this.intern(sql);
    }
    const text: SqlText = { sql, kind: queryKindOf(sql), count: 1, recorder: undefined, recorded: undefined };
    this.#size++;
    if (bucket === undefined) {
      this.#buckets.set(hash, text);
    } else if (Array.isArray(bucket)) {
      bucket.push(text);
    } else {
      this.#buckets.set(hash, [bucket, text]);
    }
    return text;
  }

  /** Empties the slots `recorder` holds (it stopped): the table no longer keeps what it filed alive. */
  forget(recorder: object): void {
    for (const bucket of this.#buckets.values()) {
      for (const text of Array.isArray(bucket) ? bucket : [bucket]) {
        if (text.recorder === recorder) {
          text.recorder = undefined;
          text.recorded = undefined;
        }
      }
    }
  }
}

/**
 * A 32-bit hash of the length, ≤ {@link SAMPLES} characters spread evenly over `sql`, and its last
 * {@link TAIL} characters (where MikroORM's selects differ most: the where clause, limit, offset).
 */
function sampledHash(sql: string): number {
  const length = sql.length;
  let hash = length;
  const step = length > SAMPLES ? Math.floor(length / SAMPLES) : 1;
  const tail = length - TAIL;
  for (let i = 0; i < tail; i += step) {
    hash = Math.imul(hash ^ sql.charCodeAt(i), 0x01000193);
  }
  for (let i = Math.max(tail, 0); i < length; i++) {
    hash = Math.imul(hash ^ sql.charCodeAt(i), 0x01000193);
  }
  return hash | 0;
}
