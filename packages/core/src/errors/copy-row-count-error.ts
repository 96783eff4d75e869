import { StratumError } from './stratum-error.js';

/**
 * `insertMany`'s PostgreSQL `COPY` wrote another number of rows than it was given: a trigger or rule
 * on the table dropped (or added) rows, so the keys `insertMany` returns would not name the rows
 * stored. The call's transaction (or savepoint) is rolled back: nothing was written. Such a table
 * needs `copyThreshold: Infinity` (the insert statements return what was really written).
 *
 * @example
 * ```ts
 * await lines.insertMany(rows, { copyThreshold: 1 }); // a BEFORE INSERT trigger returns NULL for one row
 * // CopyRowCountError [E_COPY_ROW_COUNT]: COPY into "invoice_line" wrote 2999 rows of 3000 ...
 * ```
 */
export class CopyRowCountError extends StratumError<'E_COPY_ROW_COUNT'> {
  static override readonly code = 'E_COPY_ROW_COUNT' as const;
  /** The quoted table name. */
  readonly table: string;
  /** The rows COPY reported. */
  readonly written: number;
  /** The rows it was given. */
  readonly expected: number;

  constructor(table: string, written: number, expected: number, options?: ErrorOptions) {
    super(
      `COPY into ${table} wrote ${written} rows of ${expected}: the table's triggers or rules changed the rows, ` +
        'so the keys would not name them; nothing was written (use copyThreshold: Infinity for this table).',
      options,
    );
    this.table = table;
    this.written = written;
    this.expected = expected;
  }
}
