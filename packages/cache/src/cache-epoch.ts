import { CacheEpochError } from './errors/cache-epoch-error.js';

/**
 * Every tag whose name starts with this is reserved for {@link CacheEpoch}: `Cache` refuses such
 * tags from callers, so no caller can bump (or read) an epoch by accident.
 */
export const EPOCH_TAG_PREFIX = '(epoch):';

/**
 * The epoch of one cache namespace, and what this process still owes it.
 *
 * The epoch is a store tag, `(epoch):<namespace>`, that every entry the cache writes carries
 * (alongside its own tags, with the version read before loading). Bumping it (`invalidateTags`, an
 * INCR on Redis) makes every entry of the namespace read as a miss in every process at once: the
 * store checks an entry's tag versions on each read, so there is no local copy of the epoch to go
 * stale. An invalidation that fails (store down, timeout, open circuit) is *lost*: it is counted
 * here ({@link markLost}), and the cache must bump the epoch ({@link settle}) before it uses the
 * store again.
 *
 * The counters are monotonic: `lost` grows with each lost invalidation, `settled` is the `lost`
 * count the last successful bump covered. The epoch is owed while `lost > settled`; a loss that
 * happens while a bump is in flight is not covered by it.
 *
 * @example
 * ```ts
 * const epoch = new CacheEpoch('app');
 * epoch.markLost(); // an invalidation failed
 * await epoch.settle(() => store.invalidateTags([epoch.tag])); // before the next read
 * epoch.owed; // false
 * ```
 */
export class CacheEpoch {
  /** The store tag that holds the epoch of the namespace. */
  readonly tag: string;
  #lost = 0;
  #settled = 0;
  #bumping: Promise<void> | undefined;

  constructor(namespace: string) {
    this.tag = `${EPOCH_TAG_PREFIX}${namespace}`;
  }

  /** How many invalidations this process has lost so far (never decreases). */
  get lost(): number {
    return this.#lost;
  }

  /** Whether an invalidation was lost and no epoch bump since covers it. */
  get owed(): boolean {
    return this.#lost > this.#settled;
  }

  /** Records an invalidation that did not reach the store. */
  markLost(): void {
    this.#lost += 1;
  }

  /**
   * Resolves once no bump is owed: runs `bump` (one at a time; concurrent callers share it) until a
   * bump covers every loss recorded before it started. Rejects with `bump`'s error; tries at most
   * twice per call (a second loss during the first bump), then rejects, so a caller is never held
   * longer than two bumps.
   */
  async settle(bump: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; this.owed; attempt++) {
      if (attempt === 2) throw new CacheEpochError();
      if (!this.#bumping) {
        const covers = this.#lost;
        this.#bumping = bump()
          .then(() => {
            this.#settled = Math.max(this.#settled, covers);
          })
          .finally(() => {
            this.#bumping = undefined;
          });
      }
      await this.#bumping;
    }
  }
}
