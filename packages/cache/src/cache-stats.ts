/** Counters of one key prefix (or of the whole cache). */
export interface CacheCounters {
  hits: number;
  misses: number;
  /** Hits on an expired entry served while one refresh ran (stale-while-revalidate). */
  staleServed: number;
  /** Store operations that failed (the call fell through to the source). */
  errors: number;
  /** Calls to the source (misses and refreshes), and their total and slowest time. */
  loads: number;
  loadMs: number;
  maxLoadMs: number;
}

/** A snapshot of a cache's counters: all keys, and per key prefix (`track` for `track:42`). */
export interface CacheStatsSnapshot extends CacheCounters {
  /** hits / (hits + misses); 0 before the first read. */
  readonly hitRatio: number;
  readonly byPrefix: Readonly<Record<string, CacheCounters & { readonly hitRatio: number }>>;
}

const empty = (): CacheCounters => ({
  hits: 0,
  misses: 0,
  staleServed: 0,
  errors: 0,
  loads: 0,
  loadMs: 0,
  maxLoadMs: 0,
});

/**
 * The counters of a cache, kept per key prefix (what precedes the first `:` of the key).
 *
 * @example
 * ```ts
 * const stats = new CacheStats();
 * stats.count('track:42', 'hits');
 * stats.snapshot().byPrefix.track?.hits; // 1
 * ```
 */
export class CacheStats {
  readonly #total = empty();
  readonly #byPrefix = new Map<string, CacheCounters>();

  /** Adds `by` to counter `counter` of `key`'s prefix and of the total. */
  count(key: string, counter: Exclude<keyof CacheCounters, 'loadMs' | 'maxLoadMs'>, by = 1): void {
    this.#total[counter] += by;
    this.#prefix(key)[counter] += by;
  }

  /** Records one call to the source that took `ms`. */
  load(key: string, ms: number): void {
    for (const counters of [this.#total, this.#prefix(key)]) {
      counters.loads++;
      counters.loadMs += ms;
      counters.maxLoadMs = Math.max(counters.maxLoadMs, ms);
    }
  }

  snapshot(): CacheStatsSnapshot {
    const withRatio = (c: CacheCounters) => ({
      ...c,
      hitRatio: c.hits + c.misses === 0 ? 0 : c.hits / (c.hits + c.misses),
    });
    return {
      ...withRatio(this.#total),
      byPrefix: Object.fromEntries([...this.#byPrefix].map(([prefix, c]) => [prefix, withRatio(c)])),
    };
  }

  reset(): void {
    Object.assign(this.#total, empty());
    this.#byPrefix.clear();
  }

  #prefix(key: string): CacheCounters {
    const colon = key.indexOf(':');
    const prefix = colon < 0 ? key : key.slice(0, colon);
    let counters = this.#byPrefix.get(prefix);
    if (!counters) {
      counters = empty();
      // Bounded: past 1000 prefixes, the rest share one bucket.
      if (this.#byPrefix.size >= 1000 && prefix !== '(other)') return this.#prefix('(other)');
      this.#byPrefix.set(prefix, counters);
    }
    return counters;
  }
}
