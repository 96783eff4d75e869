import type { EntityManager, MikroORM } from '@mikro-orm/core';

/** What every resolver of the Chinook schema gets as `context`: the request's EntityManager fork. */
export interface ChinookContext {
  /** One fork per request: its identity map, and Stratum's loaders (`loaders(em)`), live as long as the request. */
  readonly em: EntityManager;
}

/**
 * The context of one GraphQL request: a fresh EntityManager fork, so nothing (rows, loader caches)
 * is shared between requests. Create one per request, never one per server.
 *
 * @example
 * ```ts
 * const result = await graphql({ schema, source, contextValue: createChinookContext(orm) });
 * ```
 */
export function createChinookContext(orm: MikroORM): ChinookContext {
  return { em: orm.em.fork() };
}
