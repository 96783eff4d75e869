/**
 * A deep copy of a value that {@link walkValue} already accepted (the memory store's read path): the
 * same types and reference shape (cycles, shared references), without walkValue's checks, paths and
 * size estimate — a hit pays only for the copy. With `tree` (walkValue said the value has no shared
 * reference: `shared === false`), the copy keeps no map of the objects it copied — on a hit that map
 * was most of the work besides the copy itself.
 *
 * @example
 * ```ts
 * const copy = cloneValue({ at: new Date(0), tags: new Set(['a']) });
 * const fast = cloneValue({ id: 1, album: { id: 2 } }, true); // a tree: no object reached twice
 * ```
 */
export function cloneValue<T>(value: T, tree = false): T {
  return (tree ? cloneTree(value) : clone(value, undefined)) as T;
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
  return cloneLeaf(value);
}

/** {@link clone} of a value in which no object is reached twice: the same copy, without the map. */
function cloneTree(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneTree(value[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
    for (const key in value) out[key] = cloneTree((value as Record<string, unknown>)[key]);
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    for (const [k, v] of value) out.set(cloneTree(k), cloneTree(v));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    for (const v of value) out.add(cloneTree(v));
    return out;
  }
  return cloneLeaf(value);
}

/** Objects that hold no other values: Date, RegExp, Buffer and typed arrays (anything else as is). */
function cloneLeaf(value: object): unknown {
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): unknown }).slice();
  return value;
}

/** Records `original → copy` for cycles; the map is made on the first object that holds others. */
function remember(seen: Map<object, unknown> | undefined, original: object, copy: unknown): Map<object, unknown> {
  const map = seen ?? new Map<object, unknown>();
  map.set(original, copy);
  return map;
}
