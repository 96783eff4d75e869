import type { EntityMetadata } from '@mikro-orm/core';
import { assertKnownField } from '../entity-fields.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

const DIRECTIONS = new Set(['asc', 'desc', 'asc nulls first', 'asc nulls last', 'desc nulls first', 'desc nulls last']);

/**
 * Validates an `orderBy` (object or array of objects) against the entity and appends its primary
 * key as the last tie-breaker, so that rows with equal sort values always come in the same order
 * (offset pages never overlap, keyset cursors never skip).
 */
export function withPrimaryKeyTieBreaker(meta: EntityMetadata, orderBy: unknown): Record<string, unknown>[] {
  const orders = orderBy == null ? [] : Array.isArray(orderBy) ? orderBy : [orderBy];
  const used = new Set<string>();
  for (const order of orders) {
    if (order === null || typeof order !== 'object' || Array.isArray(order)) {
      throw new InvalidArgumentError('orderBy', "an object such as { name: 'asc' } or an array of them", orderBy);
    }
    for (const [field, direction] of Object.entries(order)) {
      assertKnownField(meta, field, 'orderBy');
      if (typeof direction === 'string' && !DIRECTIONS.has(direction.toLowerCase())) {
        throw new InvalidArgumentError(
          `orderBy.${field}`,
          "'asc' or 'desc' (optionally with 'nulls first|last')",
          direction,
        );
      }
      used.add(field);
    }
  }
  const tieBreaker = Object.fromEntries(meta.primaryKeys.filter((pk) => !used.has(pk)).map((pk) => [pk, 'asc']));
  return Object.keys(tieBreaker).length > 0
    ? [...(orders as Record<string, unknown>[]), tieBreaker]
    : (orders as Record<string, unknown>[]);
}
