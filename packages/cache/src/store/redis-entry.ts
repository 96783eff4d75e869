import { Packr } from 'msgpackr';
import type { CacheEntry } from './cache-store.js';

/** Plain MessagePack maps for the envelope (no record extension, no msgpackr-only types). */
const envelope = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** The envelope as stored: `v` the codec's bytes of the value, `e` expiresAt, `s` staleUntil, `t` tag versions. */
interface StoredEntry {
  v: Uint8Array;
  e?: number;
  s?: number;
  t?: Record<string, number>;
}

/**
 * The bytes {@link RedisStore} stores for an entry: a MessagePack map `{ v, e, s, t }` whose `v` is
 * `encodeValue(entry.value)` (so a value the codec refuses fails here with the codec's error) and the
 * others are the entry's `expiresAt`, `staleUntil` and `tags` (absent when undefined).
 *
 * @example
 * ```ts
 * const bytes = encodeRedisEntry({ value: 42, expiresAt: Date.now() + 1000 }, encodeValue);
 * decodeRedisEntry(bytes, decodeValue); // { value: 42, expiresAt: ... }
 * ```
 */
export function encodeRedisEntry(entry: CacheEntry<unknown>, encodeValue: (value: unknown) => Buffer): Buffer {
  const stored: StoredEntry = { v: encodeValue(entry.value) };
  if (entry.expiresAt !== undefined) stored.e = entry.expiresAt;
  if (entry.staleUntil !== undefined) stored.s = entry.staleUntil;
  if (entry.tags !== undefined) stored.t = { ...entry.tags };
  return envelope.pack(stored);
}

/**
 * The entry of bytes written by {@link encodeRedisEntry}; throws if they are not such an envelope (or
 * `decodeValue` throws).
 *
 * @example
 * ```ts
 * const entry = decodeRedisEntry<number>(bytes, decodeValue);
 * ```
 */
export function decodeRedisEntry<V>(bytes: Buffer, decodeValue: (bytes: Buffer) => V): CacheEntry<V> {
  const stored = envelope.unpack(bytes) as Partial<StoredEntry> | null;
  if (typeof stored !== 'object' || stored === null || !(stored.v instanceof Uint8Array)) {
    throw new TypeError('not a RedisStore entry');
  }
  const value = decodeValue(
    Buffer.isBuffer(stored.v) ? stored.v : Buffer.from(stored.v.buffer, stored.v.byteOffset, stored.v.byteLength),
  );
  const entry: { value: V; expiresAt?: number; staleUntil?: number; tags?: Record<string, number> } = { value };
  if (typeof stored.e === 'number') entry.expiresAt = stored.e;
  if (typeof stored.s === 'number') entry.staleUntil = stored.s;
  if (typeof stored.t === 'object' && stored.t !== null) entry.tags = stored.t;
  return entry;
}
