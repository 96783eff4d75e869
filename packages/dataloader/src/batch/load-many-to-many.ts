import { type EntityManager, type EntityProperty, type FilterQuery, helper, Reference, Utils } from '@mikro-orm/core';
import { withDriverErrors } from '@stratum/core';
import { keyHash, type LoaderKey, primaryKeyOf, referenceHash } from '../key-hash.js';
import type { PivotSides } from './pivot.js';

/**
 * An M:N collection for many owners in ONE query: the pivot rows of these owners joined to their
 * targets (`populate` with the `joined` strategy, so the targets' filters apply and they join the
 * identity map), the targets the relation's `where` selects, in the relation's `orderBy` then the
 * target entity's (without either: the pivot's order column, else the target's primary key), grouped
 * by owner with a hash map.
 */
export async function loadManyToMany<C extends object>(
  em: EntityManager,
  prop: EntityProperty,
  sides: PivotSides,
  keys: readonly LoaderKey[],
): Promise<C[][]> {
  const { pivot, from, to } = sides;
  const targetMeta = prop.targetMeta as NonNullable<EntityProperty['targetMeta']>;
  // As MikroORM's populate: the relation's orderBy, then the target entity's default one; without
  // either, the pivot's order column of a fixedOrder relation, else the target's primary key.
  const declared = [...Utils.asArray(prop.orderBy), ...Utils.asArray(targetMeta.orderBy)];
  const orderBy =
    declared.length > 0
      ? declared.map((order) => ({ [to]: order }))
      : prop.fixedOrder && prop.fixedOrderColumn
        ? { [prop.fixedOrderColumn]: 'asc' }
        : { [to]: Object.fromEntries(targetMeta.primaryKeys.map((pk) => [pk, 'asc'])) };
  // The relation's own `where` selects among the targets, as in MikroORM's populate.
  const where = { [from]: { $in: keys.map(primaryKeyOf) }, ...(prop.where ? { [to]: prop.where } : {}) };
  const rows = await withDriverErrors(em, () =>
    em.find(pivot.class, where as FilterQuery<object>, {
      populate: [to] as never,
      strategy: 'joined',
      orderBy: orderBy as never,
    }),
  );
  const byOwner = new Map<string, C[]>();
  for (const row of rows as Record<string, object>[]) {
    const target = Reference.unwrapReference(row[to] as object) as C | undefined;
    // A target hidden by a filter comes back as an uninitialised reference: it is not part of the collection.
    if (!target || !helper(target).__initialized) continue;
    const owner = referenceHash(row[from]);
    if (owner === undefined) continue;
    let targets = byOwner.get(owner);
    if (!targets) {
      targets = [];
      byOwner.set(owner, targets);
    }
    targets.push(target);
  }
  return keys.map((key) => byOwner.get(keyHash(key)) ?? []);
}
