import type { EntityManager, EntityMetadata, FilterQuery } from '@mikro-orm/core';
import { withDriverErrors } from '@stratum/core';
import { keyHash, type LoaderKey, primaryKeyOf } from '../key-hash.js';

/**
 * Counts rows of `meta` per value of `foreignKey` for these keys in ONE grouped query (MikroORM's
 * `countBy`, so filters apply), without loading the rows. Each key gets its count, 0 when none.
 */
export async function loadCounts(
  em: EntityManager,
  meta: EntityMetadata,
  foreignKey: string,
  keys: readonly LoaderKey[],
  extraWhere?: object,
): Promise<number[]> {
  const where = { [foreignKey]: { $in: keys.map(primaryKeyOf) } };
  // countBy keys its answer by the first column of each field: a composite foreign key is grouped by
  // its columns, which then key it by all of them (`1~~~2`, as keyHash hashes `[1, 2]`).
  const columns = meta.properties[foreignKey]?.fieldNames ?? [];
  const groupBy = columns.length > 1 ? columns : foreignKey;
  const counts = await withDriverErrors(em, () =>
    em.countBy(meta.class, groupBy as never, {
      where: (extraWhere ? { $and: [where, extraWhere] } : where) as FilterQuery<object>,
    }),
  );
  return keys.map((key) => Number(counts[keyHash(key)] ?? 0));
}
