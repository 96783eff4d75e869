import { buildSchema, type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import { chinookTypeDefs } from './chinook-type-defs.js';
import { naiveResolvers } from './naive-resolvers.js';
import type { RelationResolvers } from './relation-resolvers.js';
import { sharedResolvers } from './shared-resolvers.js';
import { stratumResolvers } from './stratum-resolvers.js';

/** Which resolvers follow the relations: lazy loading per row, or Stratum's batched loaders. */
export type ChinookResolverMode = 'naive' | 'stratum';

const RELATION_RESOLVERS: Record<ChinookResolverMode, RelationResolvers> = {
  naive: naiveResolvers,
  stratum: stratumResolvers,
};

/**
 * The Chinook GraphQL schema ({@link chinookTypeDefs}) with the root fields, and the relation
 * fields resolved the `naive` way (one query per row per relation) or the `stratum` way (one query
 * per relation per request). Both give the same data; execute it with graphql-js and a context from
 * `createChinookContext(orm)` per request.
 *
 * @example
 * ```ts
 * const schema = createChinookSchema('stratum');
 * const { data } = await graphql({
 *   schema,
 *   source: '{ artists(limit: 5) { name albums { title tracks { name genre { name } } } } }',
 *   contextValue: createChinookContext(orm),
 * });
 * ```
 */
export function createChinookSchema(mode: ChinookResolverMode): GraphQLSchema {
  const schema = buildSchema(chinookTypeDefs);
  attachResolvers(schema, sharedResolvers);
  attachResolvers(schema, RELATION_RESOLVERS[mode]);
  return schema;
}

/** Sets `resolve` on each field named in `resolvers` (`{ Type: { field: fn } }`); an unknown type or field throws. */
function attachResolvers(schema: GraphQLSchema, resolvers: object): void {
  for (const [typeName, fields] of Object.entries(resolvers) as [string, Record<string, unknown>][]) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) {
      throw new Error(`Chinook schema: no object type ${typeName} to attach resolvers to`);
    }
    const defined = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = defined[fieldName];
      if (!field) {
        throw new Error(`Chinook schema: ${typeName} has no field ${fieldName}`);
      }
      field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
    }
  }
}
