import { type Dictionary, type EntityKey, type EntityMetadata, type UpsertManyOptions, Utils } from '@mikro-orm/core';
import { columnOf, isOwnColumn } from '../entity-fields.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';

/** Options shared by the chunked bulk operations. */
export interface BulkOptions {
  /** Rows (or ids) per statement; lowered automatically to fit the database's parameter limit. @default 5000 */
  chunkSize?: number;
}

/** Options of {@link BaseRepository.insertMany}. */
export interface BulkInsertOptions extends BulkOptions {
  /**
   * On PostgreSQL, calls with at least this many rows stream them with `COPY ... FROM STDIN` instead
   * of `insert` statements (`chunkSize` then does not apply); `Infinity` never does. Given explicitly,
   * a missing pg-copy-streams package is a `MissingDependencyError`; by default such calls fall back
   * to `insert` statements. Ignored on SQLite.
   * @default the repository's `defaultCopyThreshold` (10 000)
   */
  copyThreshold?: number;
}

/**
 * Options of {@link BaseRepository.upsertMany}. MikroORM's own names (`onConflictFields`,
 * `onConflictAction`, `onConflictMergeFields`, `onConflictExcludeFields`, `batchSize`) are accepted too.
 */
export interface BulkUpsertOptions<T> extends BulkOptions {
  /** The unique columns a new row may collide on. @default the primary key */
  onConflict?: EntityKey<T>[];
  /** What a colliding row does: `'merge'` updates it, `'ignore'` keeps the existing row. @default 'merge' */
  action?: 'merge' | 'ignore';
  /** The columns a merge updates. @default every written column outside the conflict target */
  merge?: EntityKey<T>[];
}

/** What the shared write path takes: upsert options plus MikroORM's `schema` and `onConflictExcludeFields`. */
export type WriteOptions<T> = BulkUpsertOptions<T> & { schema?: string; excludeFromMerge?: readonly string[] };

/** Every property named by at least one row; a row that lacks it gets the property's default or null. */
export function collectFields(rows: readonly Dictionary[], operation: string): string[] {
  const fields = new Set<string>();
  rows.forEach((row, index) => {
    if (!Utils.isPlainObject(row)) {
      throw new InvalidArgumentError(`${operation}() rows[${index}]`, 'a plain object of property values', row);
    }
    for (const field of Object.keys(row)) {
      fields.add(field);
    }
  });
  if (fields.size === 0) {
    throw new InvalidArgumentError(`${operation}() rows`, 'rows with at least one property', rows[0]);
  }
  return [...fields];
}

/** Maps MikroORM's upsert option names onto Stratum's. */
export function normalizeUpsertOptions<T>(options: UpsertManyOptions<T, any> & BulkUpsertOptions<T>): WriteOptions<T> {
  const { onConflictFields, onConflictAction, onConflictMergeFields, onConflictExcludeFields, batchSize } = options;
  if (onConflictFields !== undefined && !Array.isArray(onConflictFields)) {
    throw new UnsupportedOperationError(
      'upsertMany() takes onConflict as a list of properties; a raw conflict target is not supported.',
    );
  }
  const normalized: WriteOptions<T> = {
    onConflict: options.onConflict ?? (onConflictFields as EntityKey<T>[] | undefined),
    action: options.action ?? onConflictAction,
    merge: options.merge ?? (onConflictMergeFields as EntityKey<T>[] | undefined),
    chunkSize: options.chunkSize ?? batchSize,
    schema: options.schema,
  };
  if (normalized.merge === undefined && onConflictExcludeFields !== undefined) {
    const excluded = new Set<string>([...(onConflictExcludeFields as string[]), ...(normalized.onConflict ?? [])]);
    normalized.excludeFromMerge = [...excluded];
  }
  return normalized;
}

/** The own-column values of an entity instance, as a row (unset properties left out). */
export function entityToRow(meta: EntityMetadata, entity: unknown): Dictionary {
  const row: Dictionary = {};
  for (const prop of meta.props) {
    const value = (entity as Dictionary)[prop.name];
    if (value !== undefined && isOwnColumn(prop)) {
      row[prop.name] = value;
    }
  }
  return row;
}

/** The validated conflict target of an upsert; duplicate keys inside the input are refused up front. */
export function conflictTarget<T extends object>(
  meta: EntityMetadata<T>,
  options: BulkUpsertOptions<T>,
  rows: readonly Dictionary[],
): string[] {
  const target: string[] = options.onConflict ?? [...meta.primaryKeys];
  if (!Array.isArray(target) || target.length === 0) {
    throw new InvalidArgumentError(
      'upsertMany() onConflict',
      'a non-empty array of unique properties',
      options.onConflict,
    );
  }
  if (options.action !== undefined && options.action !== 'merge' && options.action !== 'ignore') {
    throw new InvalidArgumentError('upsertMany() action', "'merge' or 'ignore'", options.action);
  }
  for (const field of target) {
    columnOf(meta, field, 'onConflict');
  }
  const seen = new Set<string>();
  rows.forEach((row, index) => {
    const key = JSON.stringify(target.map((f) => (row as Dictionary)[f] ?? null));
    if (seen.has(key)) {
      throw new InvalidArgumentError(
        `upsertMany() rows[${index}]`,
        `unique on ${target.join(', ')} within one call (a statement cannot update the same row twice)`,
        row,
      );
    }
    seen.add(key);
  });
  return target;
}
