/**
 * One page of an offset-paginated result (`findPage`).
 *
 * @example
 * ```ts
 * const page = await tracks.findPage({ page: 2, perPage: 25 });
 * console.log(`${page.page}/${page.pages}`, page.hasNext ? 'more…' : 'done');
 * ```
 */
export interface Page<T> {
  readonly items: T[];
  /** Rows matching `where`, over all pages. */
  readonly total: number;
  /** 1-based page number that was asked for. */
  readonly page: number;
  /** Page size actually used (the requested size, capped by the repository's `maxPerPage`). */
  readonly perPage: number;
  /** Number of pages (0 when there is no row). */
  readonly pages: number;
  readonly hasNext: boolean;
  readonly hasPrev: boolean;
}
