import { withQuerySink } from '../capture/instrument.js';
import type { QueryEvent } from '../capture/query-event.js';
import { ProfileReport } from './profile-report.js';

/**
 * Runs `fn` and reports every query it sent through an instrumented ORM (see `instrument`),
 * including the queries of everything it awaited. Scopes nest: an outer scope also sees the
 * queries of the scopes inside it. If `fn` throws, the error propagates unchanged.
 *
 * @example
 * ```ts
 * instrument(orm);
 * const report = await profile(async () => {
 *   const albums = await em.find(Album, {}, { limit: 10 });
 *   for (const album of albums) await album.tracks.init(); // N+1
 * });
 * report.count;            // 11
 * report.nPlusOne()[0];    // { count: 10, relation: 'Album.tracks', ... }
 * console.log(report.format());
 * ```
 */
export async function profile<T>(fn: () => T | Promise<T>): Promise<ProfileReport<Awaited<T>>> {
  const events: QueryEvent[] = [];
  const result = await withQuerySink((event) => events.push(event), fn);
  return new ProfileReport(events, result as Awaited<T>);
}
