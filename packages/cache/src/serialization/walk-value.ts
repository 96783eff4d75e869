import { CacheValueError } from '../errors/cache-value-error.js';

/** A value checked (and, if asked, deep-copied) by {@link walkValue}, with its estimated size. */
export interface WalkedValue {
  /** The copy, or the value itself when no copy was asked for. */
  readonly value: unknown;
  /**
   * A cheap estimate of the bytes the value holds in memory (not its encoded size): 8 per primitive,
   * 16 + 2 per character for strings, the byte length plus 64 for a Buffer/typed array, 32 per object
   * or Map/Set plus 8 + its key per property/entry. Shared references are counted once.
   */
  readonly bytes: number;
  /**
   * Whether some object is reached twice (a cycle or a shared reference). `false`: the value is a
   * tree, and a copy of it needs no map of the objects already copied ({@link cloneValue}'s `tree`).
   */
  readonly shared: boolean;
}

const TYPED_ARRAY_PROTOTYPES: ReadonlySet<object> = new Set<object>([
  Int8Array.prototype,
  Uint8Array.prototype,
  Uint8ClampedArray.prototype,
  Int16Array.prototype,
  Uint16Array.prototype,
  Int32Array.prototype,
  Uint32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
]);

type TypedArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;
type TypedArrayConstructor = new (source: TypedArray) => TypedArray;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Checks that `value` holds only what survives a cache round trip — on every store alike — and
 * optionally deep-copies it. Allowed: `null`, `undefined`, booleans, numbers, strings, bigints,
 * `Date`, `RegExp`, `Map`, `Set`, `Buffer` and typed arrays, arrays, and plain objects (prototype
 * `Object.prototype` or `null`). Cycles and shared references are allowed and kept (the copy has the
 * same shape of references; msgpackr's `structuredClone` mode keeps them too).
 *
 * Rejected with {@link CacheValueError}, naming the path: functions, symbols (as values or keys), and
 * instances of any other class (including `Error`, `Promise`, `WeakMap` and MikroORM entities), which
 * would come back as plain objects without their prototype — an `instanceof` or a method call on the
 * cached value would then fail far from where it was cached.
 *
 * @example
 * ```ts
 * import { walkValue } from './walk-value.js';
 *
 * const { value, bytes } = walkValue({ at: new Date(), ids: new Set([1, 2]) }, true);
 * walkValue({ run() {} }, false); // throws CacheValueError: Cannot cache value.run: it is a function ...
 * ```
 */
export function walkValue(value: unknown, copy: boolean): WalkedValue {
  const walker = new Walker(copy);
  const result = walker.walk(value, 'value');
  return { value: result, bytes: walker.bytes, shared: walker.shared };
}

class Walker {
  bytes = 0;
  shared = false;
  private readonly seen = new Map<object, unknown>();

  constructor(private readonly copy: boolean) {}

  walk(value: unknown, path: string): unknown {
    switch (typeof value) {
      case 'string':
        this.bytes += 16 + value.length * 2;
        return value;
      case 'number':
      case 'boolean':
      case 'undefined':
        this.bytes += 8;
        return value;
      case 'bigint':
        this.bytes += 16 + Math.ceil(value.toString(16).length / 2);
        return value;
      case 'function':
        throw new CacheValueError(
          `Cannot cache ${path}: it is a function, which cannot be serialized. Cache plain data instead.`,
          { path },
        );
      case 'symbol':
        throw new CacheValueError(
          `Cannot cache ${path}: it is a symbol, which cannot be serialized. Cache plain data instead.`,
          { path },
        );
    }
    if (value === null) {
      this.bytes += 8;
      return value;
    }
    return this.walkObject(value as object, path);
  }

  private walkObject(value: object, path: string): unknown {
    if (this.seen.has(value)) {
      this.shared = true;
      return this.seen.get(value);
    }
    const proto: unknown = Object.getPrototypeOf(value);

    if (Array.isArray(value) && proto === Array.prototype) {
      const out: unknown[] = this.copy ? new Array(value.length) : value;
      this.seen.set(value, out);
      this.bytes += 32 + 8 * value.length;
      for (let i = 0; i < value.length; i++) {
        const item = this.walk(value[i], `${path}[${i}]`);
        if (this.copy) out[i] = item;
      }
      return out;
    }
    if (proto === Object.prototype || proto === null) {
      return this.walkPlainObject(value as Record<string, unknown>, path);
    }
    if (proto === Date.prototype) {
      const out = this.copy ? new Date((value as Date).getTime()) : value;
      this.seen.set(value, out);
      this.bytes += 24;
      return out;
    }
    if (Buffer.isBuffer(value)) {
      const out = this.copy ? Buffer.from(value) : value;
      this.seen.set(value, out);
      this.bytes += 64 + value.byteLength;
      return out;
    }
    if (proto !== null && typeof proto === 'object' && TYPED_ARRAY_PROTOTYPES.has(proto)) {
      const typed = value as TypedArray;
      const out = this.copy ? new (typed.constructor as TypedArrayConstructor)(typed) : value;
      this.seen.set(value, out);
      this.bytes += 64 + typed.byteLength;
      return out;
    }
    if (proto === Map.prototype) {
      const map = value as Map<unknown, unknown>;
      const out = this.copy ? new Map<unknown, unknown>() : map;
      this.seen.set(value, out);
      this.bytes += 32;
      let i = 0;
      for (const [key, item] of map) {
        this.bytes += 8;
        const k = this.walk(key, `${path} (key #${i} of the Map)`);
        const v = this.walk(item, `${path}.get(${describeKey(key)})`);
        if (this.copy) (out as Map<unknown, unknown>).set(k, v);
        i++;
      }
      return out;
    }
    if (proto === Set.prototype) {
      const set = value as Set<unknown>;
      const out = this.copy ? new Set<unknown>() : set;
      this.seen.set(value, out);
      this.bytes += 32;
      let i = 0;
      for (const item of set) {
        this.bytes += 8;
        const v = this.walk(item, `${path} (item #${i} of the Set)`);
        if (this.copy) (out as Set<unknown>).add(v);
        i++;
      }
      return out;
    }
    if (proto === RegExp.prototype) {
      const regexp = value as RegExp;
      const out = this.copy ? new RegExp(regexp.source, regexp.flags) : value;
      this.seen.set(value, out);
      this.bytes += 32 + regexp.source.length * 2;
      return out;
    }
    const name = className(value);
    throw new CacheValueError(
      `Cannot cache ${path}: it is an instance of ${name}, which would come back as a plain object ` +
        `without its prototype and methods. Cache plain data instead (for an entity, e.g. wrap(entity).toObject()).`,
      { path },
    );
  }

  private walkPlainObject(value: Record<string, unknown>, path: string): unknown {
    const symbols = Object.getOwnPropertySymbols(value);
    if (symbols.length > 0) {
      throw new CacheValueError(
        `Cannot cache ${path}: it has a symbol key (${String(symbols[0])}), which cannot be serialized.`,
        { path },
      );
    }
    const out: Record<string, unknown> = this.copy ? {} : value;
    this.seen.set(value, out);
    this.bytes += 32;
    for (const key of Object.keys(value)) {
      this.bytes += 8 + 16 + key.length * 2;
      const item = this.walk(value[key], IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);
      if (!this.copy) continue;
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = item;
      }
    }
    return out;
  }
}

function className(value: object): string {
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'a class';
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key);
  if (typeof key === 'bigint') return `${key}n`;
  if (typeof key === 'number' || typeof key === 'boolean' || key == null) return String(key);
  return '…';
}
