import type { QueryEvent } from './query-event.js';
import type { SqlText } from './sql-text-table.js';

/**
 * A global consumer of every query that counts most of them from a few primitives and keeps a few
 * whole: the always-on profiler (package-internal; `addGlobalQuerySink` is the public door, and gives
 * every query's event). `instrument` calls {@link record} for each query and builds the query's
 * {@link QueryEvent} only if a recorder asks for it (or a scope or a sink needs it anyway); then, in
 * the same synchronous call, every recorder's {@link receive} gets it.
 */
export interface QueryRecorder {
  /**
   * One query: its text's record (interned per ORM: `text.recorder`/`text.recorded` are the
   * recorder's slot), the database, its duration, rows, outcome, and whether a call stack was sampled
   * for it outside any scope. Returns whether it wants this query's event.
   */
  record(
    text: SqlText,
    dialect: QueryEvent['dialect'],
    durationMs: number,
    rows: number | undefined,
    failed: boolean,
    sampledStack: boolean,
  ): boolean;
  /** The event of the query just recorded, when one was built (asked for or not). */
  receive(event: QueryEvent): void;
}
