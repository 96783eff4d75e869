import { createHash } from 'node:crypto';
import { helper, Utils } from '@mikro-orm/core';
import { CacheKeyError } from '../errors/cache-key-error.js';

/** A key (or tag, or pattern) template compiled against a method's parameters. */
export interface KeyTemplate {
  readonly source: string;
  /** The key for one call's arguments. */
  render(args: readonly unknown[]): string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/**
 * Property names a placeholder path may not use: they lead to a prototype or a built-in function,
 * never to the argument's own data, so every argument would render the same text (one entry for
 * all: `{id.constructor}` is `Number` for every id). `constructor`, `__proto__`, `prototype`, and
 * every method or accessor of `Object.prototype` and `Function.prototype` (`toString`, `valueOf`,
 * `hasOwnProperty`, `call`, `bind`, ...).
 */
const REFUSED_SEGMENTS: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  ...[Object.prototype, Function.prototype].flatMap((proto) =>
    Object.getOwnPropertyNames(proto).filter((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      return descriptor !== undefined && (descriptor.get !== undefined || typeof descriptor.value === 'function');
    }),
  ),
]);

/**
 * Compiles `track:{id}` or `search:{filter.genreId}:{sessionId}` against the method's parameter
 * names: each placeholder must start with a parameter's name (then a property path), checked now —
 * when the class is defined — with a {@link CacheKeyError} naming the parameters. Values are
 * rendered by {@link keyPart}: they can never add a `:` or a glob character to the key.
 *
 * @example
 * ```ts
 * compileKeyTemplate('track:{id}', ['id'], '@Cached on TrackRepository.findById', false).render([42]); // 'track:42'
 * ```
 */
export function compileKeyTemplate(
  source: string,
  params: readonly (string | undefined)[],
  where: string,
  allowGlob: boolean,
): KeyTemplate {
  if (typeof source !== 'string' || source.trim() === '') {
    throw new CacheKeyError(String(source), `in ${where} must be a non-empty string`);
  }
  const literal = source.replace(PLACEHOLDER, '');
  if (/[{}]/.test(literal)) {
    throw new CacheKeyError(source, `in ${where} has an unbalanced { or }`);
  }
  if (!allowGlob && /[*?[\]]/.test(literal)) {
    throw new CacheKeyError(source, `in ${where} holds a glob character (*, ?, [ or ]); only patterns may`);
  }
  const parts: (string | { index: number; path: readonly string[]; placeholder: string })[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const path = (match[1] ?? '').trim();
    if (!PATH.test(path)) {
      throw new CacheKeyError(
        source,
        `in ${where} has the placeholder {${match[1]}}, which is not a parameter name or path`,
      );
    }
    const [name, ...rest] = path.split('.');
    const refused = rest.find((segment) => REFUSED_SEGMENTS.has(segment));
    if (refused !== undefined) {
      throw new CacheKeyError(
        source,
        `in ${where} has the placeholder {${path}}, whose "${refused}" names a prototype or a built-in function, not the argument's own data (every call would get one key)`,
      );
    }
    const index = params.indexOf(name);
    if (index < 0) {
      const known = params.filter((p): p is string => p !== undefined);
      throw new CacheKeyError(
        source,
        `in ${where} names {${name}}, which is not a parameter of the method (its parameters: ${known.join(', ') || 'none that can be named'})`,
      );
    }
    parts.push(source.slice(last, match.index), { index, path: rest, placeholder: path });
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(source.slice(last));
  return {
    source,
    render(args) {
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') {
          out += part;
        } else {
          let value: unknown = args[part.index];
          for (const key of part.path) value = ownProperty(value, key, part.placeholder, source, where);
          out += keyPart(value);
        }
      }
      return out;
    },
  };
}

/**
 * The value of `value`'s OWN property `key` for a placeholder path: `undefined` when the property is
 * nowhere (the method sees `undefined` too); a {@link CacheKeyError} — the property is never read —
 * when it is inherited (from a prototype: the method would read a value the key does not hold) or
 * when `value` is a function (a class, a method: not data). Own accessors are read (a MikroORM
 * entity's tracked properties are own getters).
 */
function ownProperty(value: unknown, key: string, placeholder: string, source: string, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'function') {
    throw new CacheKeyError(
      source,
      `in ${where}: the placeholder {${placeholder}} reaches a function (${value.name || 'anonymous'}), not data`,
    );
  }
  const object = Object(value) as Record<string, unknown>;
  if (Object.hasOwn(object, key)) return object[key];
  if (key in object) {
    throw new CacheKeyError(
      source,
      `in ${where}: the placeholder {${placeholder}} names "${key}", which this argument only inherits (from its prototype); only own properties are part of a key`,
    );
  }
  return undefined;
}

/**
 * One placeholder's value as key text: strings percent-encode `%`, `:`, `|`, `*`, `?`, `[`, `]`,
 * `{` and `}` (so a value cannot reach another key segment or widen a pattern); numbers, bigints and
 * booleans as written; a Date as ISO 8601; an entity as its primary key; `null`/`undefined` as `~`;
 * anything else as a hash of its canonical form.
 *
 * @example
 * ```ts
 * keyPart('a:b*'); // 'a%3Ab%2A'
 * ```
 */
export function keyPart(value: unknown): string {
  if (value === null || value === undefined) return '~';
  if (typeof value === 'string')
    return value.replace(/[%:|*?[\]{}~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (isEntity(value)) return keyPart(helper(value as object).getSerializedPrimaryKey());
  return hashOf(value);
}

/**
 * A short stable hash of any argument list: the same for equal values whatever the order of object
 * keys; entities count by class and primary key.
 *
 * @example
 * ```ts
 * hashOf([{ a: 1, b: 2 }]) === hashOf([{ b: 2, a: 1 }]); // true
 * ```
 */
export function hashOf(value: unknown): string {
  return createHash('sha1').update(canonical(value)).digest('base64url').slice(0, 16);
}

/** Whether `value` is a MikroORM entity (without narrowing the caller's type). */
function isEntity(value: unknown): boolean {
  return Utils.isEntity(value);
}

function canonical(value: unknown, seen = new Set<object>()): string {
  if (value === undefined) return 'u';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `D${value.toISOString()}`;
  if (typeof value !== 'object') return `?${typeof value}`;
  if (isEntity(value)) return `E${value.constructor.name}:${helper(value as object).getSerializedPrimaryKey()}`;
  if (seen.has(value)) return 'cycle';
  seen.add(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, seen)).join(',')}]`;
  if (value instanceof Map)
    return `M[${[...value]
      .map(([k, v]) => `${canonical(k, seen)}=${canonical(v, seen)}`)
      .sort()
      .join(',')}]`;
  if (value instanceof Set)
    return `S[${[...value]
      .map((v) => canonical(v, seen))
      .sort()
      .join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k], seen)}`)
    .join(',')}}`;
}
