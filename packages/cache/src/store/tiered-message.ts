/** What one {@link TieredStore} tells the others to evict from their L1 (see {@link encodeTieredMessage}). */
export type TieredInvalidation =
  | { readonly kind: 'keys'; readonly keys: readonly string[] }
  | { readonly kind: 'pattern'; readonly pattern: string }
  | { readonly kind: 'tags'; readonly tags: readonly string[] }
  | { readonly kind: 'clear' };

/** A decoded message: who sent it (the sender's instance id) and what to evict. */
export interface TieredMessage {
  readonly from: string;
  readonly invalidation: TieredInvalidation;
}

/** The wire form: JSON `{ i, k | p | t | c }` (instance id, keys, pattern, tags, clear). */
interface WireMessage {
  i?: unknown;
  k?: unknown;
  p?: unknown;
  t?: unknown;
  c?: unknown;
}

/**
 * The pub/sub payload of an invalidation sent by the instance `from`: compact JSON, e.g.
 * `{"i":"3f…","k":["track:1"]}`. Keys, patterns and tags are any strings (JSON escapes them).
 *
 * @example
 * ```ts
 * encodeTieredMessage('a1', { kind: 'tags', tags: ['Track'] }); // '{"i":"a1","t":["Track"]}'
 * ```
 */
export function encodeTieredMessage(from: string, invalidation: TieredInvalidation): string {
  switch (invalidation.kind) {
    case 'keys':
      return JSON.stringify({ i: from, k: invalidation.keys });
    case 'pattern':
      return JSON.stringify({ i: from, p: invalidation.pattern });
    case 'tags':
      return JSON.stringify({ i: from, t: invalidation.tags });
    case 'clear':
      return JSON.stringify({ i: from, c: 1 });
  }
}

/**
 * The message of a payload written by {@link encodeTieredMessage}; `undefined` when it is not one
 * (the receiver must then assume it missed an invalidation and drop its whole L1).
 *
 * @example
 * ```ts
 * decodeTieredMessage('{"i":"a1","k":["track:1"]}'); // { from: 'a1', invalidation: { kind: 'keys', keys: ['track:1'] } }
 * decodeTieredMessage('garbage'); // undefined
 * ```
 */
export function decodeTieredMessage(payload: string): TieredMessage | undefined {
  let wire: WireMessage;
  try {
    wire = JSON.parse(payload) as WireMessage;
  } catch {
    return undefined;
  }
  if (typeof wire !== 'object' || wire === null || typeof wire.i !== 'string') return undefined;
  const from = wire.i;
  if (isStringArray(wire.k)) return { from, invalidation: { kind: 'keys', keys: wire.k } };
  if (typeof wire.p === 'string') return { from, invalidation: { kind: 'pattern', pattern: wire.p } };
  if (isStringArray(wire.t)) return { from, invalidation: { kind: 'tags', tags: wire.t } };
  if (wire.c === 1) return { from, invalidation: { kind: 'clear' } };
  return undefined;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
