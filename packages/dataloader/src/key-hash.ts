import { type EntityMetadata, helper, Reference, Utils } from '@mikro-orm/core';

/**
 * A loader key as the caller gives it: a primary key (`42`, `'42'`, `[1, 2]` for a composite key)
 * or the entity itself (or a `Ref` to it).
 */
export type LoaderKey = unknown;

/**
 * The primary key a loader key stands for: an entity (or reference) gives its primary key, any other
 * value is taken as the primary key itself.
 */
export function primaryKeyOf(key: LoaderKey): unknown {
  if (
    key !== null &&
    typeof key === 'object' &&
    !Array.isArray(key) &&
    !(key instanceof Date) &&
    !Buffer.isBuffer(key)
  ) {
    const entity = Reference.unwrapReference(key as object);
    if (Utils.isEntity(entity)) {
      // getPrimaryKeys: a composite key as its values in primary-key order (getPrimaryKey gives an object)
      const pks = helper(entity).getPrimaryKeys();
      return pks?.length === 1 ? pks[0] : pks;
    }
  }
  return key;
}

/**
 * The hash a loader matches rows to keys by: equal for `42`, `'42'` and the entity whose primary key
 * is 42, so a key given either way hits the same cache entry and the same row. A `Date` hashes to its
 * ISO form, to the millisecond (`String(date)` stops at the second), a `Buffer` to its hex digits.
 */
export function keyHash(key: LoaderKey): string {
  const pk = primaryKeyOf(key);
  if (Array.isArray(pk)) {
    return Utils.getPrimaryKeyHash(pk.flatMap(keyParts));
  }
  return scalarHash(pk);
}

/** The values a part of a composite key stands for: an entity part gives all of its own key's values. */
function keyParts(part: unknown): string[] {
  const pk = primaryKeyOf(part);
  return Array.isArray(pk) ? pk.flatMap(keyParts) : [scalarHash(pk)];
}

function scalarHash(value: unknown): string {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  }
  if (Buffer.isBuffer(value)) {
    return value.toString('hex');
  }
  return String(value);
}

/** The hash of the entity an entity-valued property points to (`track.album` → the album's key). */
export function referenceHash(value: unknown): string | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  return keyHash(value);
}

/** A `where` that selects the rows of `meta` with these primary keys. */
export function primaryKeyCondition(meta: EntityMetadata, pks: readonly unknown[]): object {
  if (meta.primaryKeys.length === 1) {
    return { [meta.primaryKeys[0] as string]: { $in: pks } };
  }
  // An array of composite keys is a row-value `in`: `(a, b) in ((1, 2), (3, 4))`. An `$or` of one
  // `and` per key nests one level per key, and SQLite refuses past 1000 (`SQLITE_MAX_EXPR_DEPTH`).
  return pks;
}
