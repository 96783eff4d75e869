import { createHash } from 'node:crypto';
import { type EntityManager, EntityRepository, type MetadataStorage } from '@mikro-orm/core';

/**
 * The EntityManager a decorated method runs with: the repository's own (resolved to the current
 * transaction or request context), or `undefined` for a method of anything that is not a MikroORM
 * repository (a service): caching then knows nothing of transactions, filters or entities.
 */
export function entityManagerOf(self: unknown): EntityManager | undefined {
  if (self instanceof EntityRepository) {
    return (self as EntityRepository<object>).getEntityManager().getContext(false) as EntityManager;
  }
  return undefined;
}

/** The entity class name of a repository, if `self` is one. */
export function repositoryEntityOf(self: unknown): string | undefined {
  if (self instanceof EntityRepository) {
    const em = (self as EntityRepository<object>).getEntityManager();
    return em.getMetadata().find((self as unknown as { entityName: never }).entityName)?.className;
  }
  return undefined;
}

const schemaHashes = new WeakMap<MetadataStorage, string>();

/**
 * A hash of every entity's shape (class, properties, their kinds, types and columns): cached
 * entities carry it, and an entry written by a different shape (another deploy) is never merged.
 *
 * @example
 * ```ts
 * schemaHash(orm.em.getMetadata()); // 'q3V8...' — changes when an entity gains, loses or retypes a property
 * ```
 */
export function schemaHash(metadata: MetadataStorage): string {
  let hash = schemaHashes.get(metadata);
  if (hash === undefined) {
    const shapes = [...metadata]
      .map((meta) => [
        meta.className,
        Object.values(meta.properties)
          .map((p) => `${p.name}:${p.kind}:${p.type}:${(p.fieldNames ?? []).join('+')}:${p.nullable ? '?' : ''}`)
          .sort()
          .join(','),
      ])
      .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
    hash = createHash('sha1').update(JSON.stringify(shapes)).digest('base64url').slice(0, 12);
    schemaHashes.set(metadata, hash);
  }
  return hash;
}

/**
 * The values of the MikroORM filters active for `entity` on `em` (a tenant, soft delete), as a short
 * hash, or `''` when none applies: two requests with different tenants never share a cache entry.
 */
export async function filterKeyOf(em: EntityManager, entity: string | undefined): Promise<string> {
  if (entity === undefined) return '';
  const condition = await em.applyFilters(entity as never, {}, undefined, 'read');
  if (condition === undefined || Object.keys(condition as object).length === 0) return '';
  return createHash('sha1').update(stableJson(condition)).digest('base64url').slice(0, 12);
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'u';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
