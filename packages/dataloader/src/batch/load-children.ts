import {
  type EntityManager,
  type EntityMetadata,
  type EntityProperty,
  type FilterQuery,
  Reference,
  Utils,
} from '@mikro-orm/core';
import { withDriverErrors } from '@stratum/core';
import { keyHash, type LoaderKey, primaryKeyOf, referenceHash } from '../key-hash.js';

/**
 * A 1:M collection for many parents in one query: the children whose foreign key is one of the
 * parents', in the relation's `orderBy`, then the child entity's, then by primary key, grouped by
 * parent with a hash map.
 * Each key gets its children, `[]` when it has none.
 */
export async function loadChildren<C extends object>(
  em: EntityManager,
  prop: EntityProperty,
  keys: readonly LoaderKey[],
): Promise<C[][]> {
  const childMeta = prop.targetMeta as EntityMetadata<C>;
  const foreignKey = prop.mappedBy;
  const where = { [foreignKey]: { $in: keys.map(primaryKeyOf) } } as FilterQuery<C>;
  // As MikroORM's populate: the relation's orderBy, then the child entity's default one; the primary key
  // last, so ties come back in one order on every database.
  const orderBy = [
    ...Utils.asArray(prop.orderBy),
    ...Utils.asArray(childMeta.orderBy),
    ...childMeta.primaryKeys.map((pk) => ({ [pk]: 'asc' })),
  ];
  const rows = await withDriverErrors(em, () =>
    em.find<C>(childMeta.class, (prop.where ? { $and: [where, prop.where] } : where) as never, {
      orderBy: orderBy as never,
    }),
  );
  const byParent = new Map<string, C[]>();
  for (const row of rows) {
    const parent = referenceHash(Reference.unwrapReference((row as Record<string, object>)[foreignKey] as object));
    if (parent === undefined) continue;
    let children = byParent.get(parent);
    if (!children) {
      children = [];
      byParent.set(parent, children);
    }
    children.push(row);
  }
  return keys.map((key) => byParent.get(keyHash(key)) ?? []);
}
