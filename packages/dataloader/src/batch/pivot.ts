import type { EntityMetadata, EntityProperty, MetadataStorage } from '@mikro-orm/core';
import { RelationMappingError } from '../errors/relation-mapping-error.js';

/** The pivot entity of an M:N relation, and which of its two references points to which side. */
export interface PivotSides {
  readonly pivot: EntityMetadata;
  /** The pivot's reference to the side the relation is read from (the loader's keys). */
  readonly from: string;
  /** The pivot's reference to the side the loader returns. */
  readonly to: string;
}

/**
 * Finds the pivot entity of `prop` (an M:N property, owning or inverse) and its two references, by
 * their columns (`joinColumns` / `inverseJoinColumns` of the owning side), so a self-referencing M:N
 * is told apart too. Throws `RelationMappingError` when the pivot has no reference on one side's columns.
 */
export function pivotSides(metadata: MetadataStorage, entity: string, prop: EntityProperty): PivotSides {
  const owner = prop.owner ? prop : (prop.targetMeta?.properties[prop.mappedBy] as EntityProperty);
  const pivot = metadata.find(owner.pivotEntity) as EntityMetadata;
  const byColumns = (columns: readonly string[]) => {
    const found = Object.values(pivot.properties).find(
      (candidate) =>
        candidate.fieldNames?.length === columns.length && candidate.fieldNames.every((c, i) => c === columns[i]),
    );
    if (!found) {
      throw new RelationMappingError(`${entity}.${prop.name}`, pivot.className, columns);
    }
    return found.name;
  };
  const ownerSide = byColumns(owner.joinColumns);
  const inverseSide = byColumns(owner.inverseJoinColumns);
  return prop.owner ? { pivot, from: ownerSide, to: inverseSide } : { pivot, from: inverseSide, to: ownerSide };
}
