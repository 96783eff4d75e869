import type { EntityManager, EntityMetadata } from '@mikro-orm/core';
import { withDriverErrors } from '@stratum/core';
import { keyHash, type LoaderKey, primaryKeyCondition, primaryKeyOf } from '../key-hash.js';

/**
 * One query for the entities with these primary keys, through `em.find` (so the EntityManager's
 * filters apply and the rows join its identity map); each key gets its entity or `null`, in key order.
 */
export async function loadEntities<T extends object>(
  em: EntityManager,
  meta: EntityMetadata<T>,
  keys: readonly LoaderKey[],
): Promise<(T | null)[]> {
  const pks = keys.map(primaryKeyOf);
  const rows = await withDriverErrors(em, () => em.find<T>(meta.class, primaryKeyCondition(meta, pks) as never));
  const byKey = new Map<string, T>();
  for (const row of rows) {
    byKey.set(keyHash(row), row);
  }
  return keys.map((key) => byKey.get(keyHash(key)) ?? null);
}
