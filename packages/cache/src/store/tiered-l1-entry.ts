import type { CacheEntry } from './cache-store.js';

/**
 * The value a {@link TieredStore} keeps in its L1 (a `MemoryStore`) for one key: the cached value `v`,
 * the L2 generation `g` it was read or written at, and its L2 tag versions `t`. The L1 entry's own
 * `tags` hold the L1's *local* tag versions instead, so a tag invalidation received from another
 * process (which bumps the local versions) hides it.
 */
export interface TieredL1Value {
  readonly g: number;
  readonly v: unknown;
  readonly t?: Readonly<Record<string, number>>;
}

/**
 * The L1 entry of an L2 `entry` at L2 generation `generation`, tagged with the L1's local versions
 * `l1Tags` of the same tags.
 *
 * @example
 * ```ts
 * const l1Entry = wrapTieredL1Entry({ value: 'v', tags: { Track: 7 } }, 3, { Track: 0 });
 * // { value: { g: 3, v: 'v', t: { Track: 7 } }, tags: { Track: 0 } }
 * ```
 */
export function wrapTieredL1Entry(
  entry: CacheEntry<unknown>,
  generation: number,
  l1Tags: Readonly<Record<string, number>> | undefined,
): CacheEntry<TieredL1Value> {
  const value: { g: number; v: unknown; t?: Record<string, number> } = { g: generation, v: entry.value };
  if (entry.tags !== undefined) value.t = { ...entry.tags };
  const wrapped: { value: TieredL1Value; expiresAt?: number; staleUntil?: number; tags?: Record<string, number> } = {
    value,
  };
  if (entry.expiresAt !== undefined) wrapped.expiresAt = entry.expiresAt;
  if (entry.staleUntil !== undefined) wrapped.staleUntil = entry.staleUntil;
  if (l1Tags !== undefined) wrapped.tags = { ...l1Tags };
  return wrapped;
}

/**
 * The entry and L2 generation kept in an L1 entry written by {@link wrapTieredL1Entry}.
 *
 * @example
 * ```ts
 * unwrapTieredL1Entry({ value: { g: 3, v: 'v', t: { Track: 7 } }, tags: { Track: 0 } });
 * // { entry: { value: 'v', tags: { Track: 7 } }, generation: 3 }
 * ```
 */
export function unwrapTieredL1Entry<V>(l1Entry: CacheEntry<TieredL1Value>): {
  entry: CacheEntry<V>;
  generation: number;
} {
  const { g, v, t } = l1Entry.value;
  const entry: { value: V; expiresAt?: number; staleUntil?: number; tags?: Record<string, number> } = {
    value: v as V,
  };
  if (l1Entry.expiresAt !== undefined) entry.expiresAt = l1Entry.expiresAt;
  if (l1Entry.staleUntil !== undefined) entry.staleUntil = l1Entry.staleUntil;
  if (t !== undefined) entry.tags = { ...t };
  return { entry, generation: g };
}
