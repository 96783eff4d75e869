import type { SqlEntityManager } from '@mikro-orm/sql';
import { Track } from '../entities/index.js';

/** docs/base-repository.md, "Offset pages" and "Keyset cursors". */
export async function pagination(em: SqlEntityManager) {
  // #region doc
  const tracks = em.getRepository(Track); // a TrackRepository, which extends BaseRepository<Track>

  // Offset pages: items, total, page arithmetic. The primary key breaks ties in the order.
  const page = await tracks.findPage({
    where: { genre: 1 },
    orderBy: { milliseconds: 'desc' },
    page: 2,
    perPage: 10, // capped by the repository's maxPerPage (100 unless a subclass says otherwise)
  });
  // page.total === 1297, page.pages === 130, page.hasPrev === true, page.hasNext === true

  // Keyset cursors: stable while rows are inserted, as fast on the last slice as on the first.
  const orderBy = { unitPrice: 'desc', name: 'asc' } as const;
  const first = await tracks.findByCursor({ orderBy, first: 20 });
  const next = await tracks.findByCursor({ orderBy, first: 20, after: first.endCursor! });
  const back = await tracks.findByCursor({ orderBy, last: 20, before: next.startCursor! });
  // back.items are first.items again; next.hasPrevPage === true

  // Lookups by id keep the order you asked for; a missing id gives null.
  const [t42, missing, t7] = await tracks.findByIds([42, 999_999, 7]);
  // #endregion doc
  return { page, first, next, back, t42, missing, t7 };
}
