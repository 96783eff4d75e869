import { type EntityManager, Utils, wrap } from '@mikro-orm/core';

const ENTITY = '$stratumEntity';

/** A cached entity: its class and its data (`wrap(entity).toObject()`: scalars, references as keys, populated relations nested). */
interface EntitySnapshot {
  readonly [ENTITY]: string;
  readonly data: Record<string, unknown>;
}

/**
 * What a decorated method's result becomes in the cache: entities (also inside arrays, plain
 * objects, Maps and Sets) are replaced by snapshots of their data, so the cache never holds a
 * managed instance. Everything else is kept as is.
 *
 * @example
 * ```ts
 * const cached = toCacheable(await em.find(Track, { album: 1 })); // [{ $stratumEntity: 'Track', data: {...} }, ...]
 * ```
 */
export function toCacheable(value: unknown): unknown {
  return snapshot(value, { entities: 0 });
}

/**
 * {@link toCacheable}, and whether the value held any entity (a hit of a value without entities
 * needs no {@link fromCacheable} walk).
 */
export function toCacheableWithCount(value: unknown): { value: unknown; entities: number } {
  const counter = { entities: 0 };
  return { value: snapshot(value, counter), entities: counter.entities };
}

function snapshot(value: unknown, counter: { entities: number }): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isEntity(value)) {
    counter.entities++;
    return { [ENTITY]: (value as object).constructor.name, data: wrap(value as object).toObject() } as EntitySnapshot;
  }
  if (Array.isArray(value)) return value.map((item) => snapshot(item, counter));
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, snapshot(v, counter)]));
  if (value instanceof Set) return new Set([...value].map((item) => snapshot(item, counter)));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, snapshot(v, counter)]));
}

/**
 * The reverse of {@link toCacheable} for a cache hit: each snapshot is merged into `em` (MikroORM's
 * `em.merge`), so the caller gets managed entities of ITS EntityManager — usable, lazy relations
 * loadable, changes flushed as usual — and not dirty: a flush right after a hit sends nothing.
 * Without an EntityManager (a service method), snapshots stay plain data.
 */
export function fromCacheable(value: unknown, em: EntityManager | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isSnapshot(value)) {
    return em ? em.merge(value[ENTITY] as never, value.data as never) : value.data;
  }
  if (Array.isArray(value)) return value.map((item) => fromCacheable(item, em));
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, fromCacheable(v, em)]));
  if (value instanceof Set) return new Set([...value].map((item) => fromCacheable(item, em)));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCacheable(v, em)]));
}

/** Whether `value` is a MikroORM entity (a boolean, not a type guard: the caller keeps its type). */
function isEntity(value: unknown): boolean {
  return Utils.isEntity(value);
}

function isSnapshot(value: object): value is EntitySnapshot {
  return typeof (value as Record<string, unknown>)[ENTITY] === 'string';
}
