import { type EntityMetadata, type EntityProperty, ReferenceKind } from '@mikro-orm/core';
import { UnknownFieldError } from './errors/unknown-field-error.js';
import { UnsupportedOperationError } from './errors/unsupported-operation-error.js';

/** A property that maps to exactly one column of the entity's own table. */
export interface ColumnProperty {
  readonly prop: EntityProperty;
  readonly column: string;
}

const OWN_COLUMN_KINDS = new Set<string>([ReferenceKind.SCALAR, ReferenceKind.MANY_TO_ONE, ReferenceKind.ONE_TO_ONE]);

/** Throws `UnknownFieldError` unless `field` is a property of the entity. */
export function assertKnownField(meta: EntityMetadata, field: string, where: string): EntityProperty {
  const prop = meta.properties[field as keyof typeof meta.properties] as EntityProperty | undefined;
  if (!prop) {
    throw new UnknownFieldError(meta.className, field, where, Object.keys(meta.properties));
  }
  return prop;
}

/**
 * Checks the field names used at the top level of a filter (and inside `$and` / `$or` / `$not`).
 * Operators and nested relation filters are left to MikroORM.
 */
export function assertKnownFilterFields(meta: EntityMetadata, where: unknown, argument = 'where'): void {
  if (where === null || typeof where !== 'object' || Array.isArray(where)) {
    return;
  }
  for (const [key, value] of Object.entries(where)) {
    if (key === '$and' || key === '$or') {
      for (const part of Array.isArray(value) ? value : []) {
        assertKnownFilterFields(meta, part, argument);
      }
    } else if (key === '$not') {
      assertKnownFilterFields(meta, value, argument);
    } else if (!key.startsWith('$')) {
      assertKnownField(meta, key, argument);
    }
  }
}

/**
 * The column behind a property that lives in the entity's own table (scalar, many-to-one or
 * owning one-to-one, single column). Bulk statements write only such properties.
 */
export function columnOf(meta: EntityMetadata, field: string, where: string): ColumnProperty {
  const prop = assertKnownField(meta, field, where);
  if (!isOwnColumn(prop)) {
    throw new UnsupportedOperationError(
      `${where} names ${meta.className}.${field}, which is not a single column of table ${meta.tableName} ` +
        `(kind ${prop.kind}${prop.fieldNames?.length > 1 ? `, ${prop.fieldNames.length} columns` : ''}); ` +
        'bulk operations write scalar, many-to-one and owning one-to-one properties only.',
    );
  }
  return { prop, column: prop.fieldNames[0] as string };
}

/** Whether the property is one column of its entity's own table (what bulk statements write). */
export function isOwnColumn(prop: EntityProperty): boolean {
  const ownsColumn = OWN_COLUMN_KINDS.has(prop.kind) && (prop.kind !== ReferenceKind.ONE_TO_ONE || prop.owner);
  return (
    Boolean(ownsColumn) && prop.persist !== false && !prop.formula && !prop.embedded && prop.fieldNames?.length === 1
  );
}

/** The single-column primary key of the entity, or a typed error naming the operation that needs it. */
export function singlePrimaryKey(meta: EntityMetadata, operation: string): ColumnProperty {
  if (meta.primaryKeys.length !== 1) {
    throw new UnsupportedOperationError(
      `${operation} needs a single-column primary key, but ${meta.className} has ` +
        `${meta.primaryKeys.length} (${meta.primaryKeys.join(', ')}). Use a where filter instead.`,
    );
  }
  return columnOf(meta, meta.primaryKeys[0] as string, operation);
}
