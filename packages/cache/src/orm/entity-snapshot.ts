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
 * managed instance; everything else is kept (cycles and shared references too). Also says how many
 * entities it held: a hit of a value without entities needs no {@link fromCacheable} walk.
 *
 * @example
 * ```ts
 * const { value, entities } = toCacheable(await em.find(Track, { album: 1 })); // [{ $stratumEntity: 'Track', data }, ...], 10
 * ```
 */
export function toCacheable(value: unknown): { value: unknown; entities: number } {
  const walk = new Walk((item) => {
    if (!isEntity(item)) return undefined;
    walk.entities++;
    return { [ENTITY]: (item as object).constructor.name, data: wrap(item as object).toObject() } as EntitySnapshot;
  });
  return { value: walk.visit(value), entities: walk.entities };
}

/**
 * The reverse of {@link toCacheable} for a cache hit: each snapshot is merged into `em` (MikroORM's
 * `em.merge`), so the caller gets managed entities of ITS EntityManager — usable, lazy relations
 * loadable, changes flushed as usual — and not dirty: a flush right after a hit sends nothing.
 * Without an EntityManager (a service method), snapshots stay plain data.
 */
export function fromCacheable(value: unknown, em: EntityManager | undefined): unknown {
  return new Walk((item) => {
    if (!isSnapshot(item)) return undefined;
    return em ? em.merge(item[ENTITY] as never, item.data as never) : item.data;
  }).visit(value);
}

/** A structure-preserving walk (arrays, plain objects, Maps, Sets; cycles and shared references kept) with one replacement rule. */
class Walk {
  entities = 0;
  readonly #seen = new Map<object, unknown>();

  constructor(readonly replace: (value: object) => unknown) {}

  visit(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    const known = this.#seen.get(value);
    if (known !== undefined) return known;
    const replaced = this.replace(value);
    if (replaced !== undefined) {
      this.#seen.set(value, replaced);
      return replaced;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      this.#seen.set(value, out);
      for (const item of value) out.push(this.visit(item));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map();
      this.#seen.set(value, out);
      for (const [k, v] of value) out.set(k, this.visit(v));
      return out;
    }
    if (value instanceof Set) {
      const out = new Set();
      this.#seen.set(value, out);
      for (const item of value) out.add(this.visit(item));
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // Date, Buffer, RegExp...: kept as they are
    const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
    this.#seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = this.visit((value as Record<string, unknown>)[key]);
    return out;
  }
}

/** Whether `value` is a MikroORM entity (a boolean, not a type guard: the caller keeps its type). */
function isEntity(value: unknown): boolean {
  return Utils.isEntity(value);
}

function isSnapshot(value: object): value is EntitySnapshot {
  return typeof (value as Record<string, unknown>)[ENTITY] === 'string';
}
