/**
 * A deep copy of a value that {@link walkValue} already accepted (the memory store's read path): the
 * same types and reference shape (cycles, shared references), without walkValue's checks, paths and
 * size estimate — a hit pays only for the copy.
 *
 * @example
 * ```ts
 * const copy = cloneValue({ at: new Date(0), tags: new Set(['a']) });
 * ```
 */
export function cloneValue<T>(value: T): T {
  return clone(value, undefined) as T;
}

function clone(value: unknown, seen: Map<object, unknown> | undefined): unknown {
  if (value === null || typeof value !== 'object') return value;
  const known = seen?.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    const map = remember(seen, value, out);
    for (let i = 0; i < value.length; i++) out[i] = clone(value[i], map);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
    const map = remember(seen, value, out);
    for (const key in value) out[key] = clone((value as Record<string, unknown>)[key], map);
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): unknown }).slice();
  if (value instanceof Map) {
    const out = new Map();
    const map = remember(seen, value, out);
    for (const [k, v] of value) out.set(clone(k, map), clone(v, map));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    const map = remember(seen, value, out);
    for (const v of value) out.add(clone(v, map));
    return out;
  }
  return value;
}

/** Records `original → copy` for cycles; the map is made on the first object that holds others. */
function remember(seen: Map<object, unknown> | undefined, original: object, copy: unknown): Map<object, unknown> {
  const map = seen ?? new Map<object, unknown>();
  map.set(original, copy);
  return map;
}
