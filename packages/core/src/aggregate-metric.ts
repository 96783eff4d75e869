import type { EntityKey, EntityMetadata, FilterQuery } from '@mikro-orm/core';
import { Utils } from '@mikro-orm/core';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';

/** One aggregate of {@link BaseRepository.aggregate}: `{ count: '*' }`, `{ sum: 'total' }`... */
export type AggregateMetric<T> =
  | { count: '*' | EntityKey<T> }
  | { countDistinct: EntityKey<T> }
  | { sum: EntityKey<T> }
  | { avg: EntityKey<T> }
  | { min: EntityKey<T> }
  | { max: EntityKey<T> };

/** Options of {@link BaseRepository.aggregate}. */
export interface AggregateOptions<T, M extends Record<string, AggregateMetric<T>>, G extends EntityKey<T> = never> {
  where?: FilterQuery<T>;
  groupBy?: G | G[];
  metrics: M;
}

/** A row of {@link BaseRepository.aggregate}: one number per metric, plus the group values. */
export type AggregateRow<T, M, G extends EntityKey<T>> = { [K in keyof M]: number | null } & ([G] extends [never]
  ? unknown
  : { [K in G]: K extends keyof T ? unknown : never });

export const AGGREGATES = ['count', 'countDistinct', 'sum', 'avg', 'min', 'max'] as const;

export function parseMetric<T>(alias: string, metric: AggregateMetric<T>): [(typeof AGGREGATES)[number], string] {
  const entries = Utils.isPlainObject(metric) ? Object.entries(metric) : [];
  const [fn, field] = entries[0] ?? [];
  if (entries.length !== 1 || !AGGREGATES.includes(fn as never) || typeof field !== 'string') {
    throw new InvalidArgumentError(
      `metrics.${alias}`,
      `one of ${AGGREGATES.map((a) => `{ ${a}: field }`).join(', ')} (count also takes '*')`,
      metric,
    );
  }
  if (field === '*' && fn !== 'count') {
    throw new InvalidArgumentError(`metrics.${alias}`, `a field for ${fn} ('*' only works with count)`, metric);
  }
  return [fn as (typeof AGGREGATES)[number], field];
}

export function isNumericField(meta: EntityMetadata, field: string): boolean {
  const prop = meta.properties[field as keyof typeof meta.properties] as { runtimeType?: string } | undefined;
  return prop?.runtimeType === 'number';
}
