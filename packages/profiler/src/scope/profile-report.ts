import type { QueryEvent } from '../capture/query-event.js';
import { type Fingerprint, fingerprintSql } from '../fingerprint/fingerprint.js';
import { detectNPlusOne, type NPlusOneFinding, type NPlusOneOptions } from '../n-plus-one/detect-n-plus-one.js';
import { percentile } from './percentile.js';

/** What a profile says about one query shape. */
export interface FingerprintSummary {
  readonly fingerprint: string;
  /** The normalized SQL: literals and lists folded to `?`. */
  readonly normalized: string;
  readonly kind: QueryEvent['kind'];
  readonly tables: readonly string[];
  /** One real query of this shape, with its parameters. */
  readonly example: { readonly sql: string; readonly params: readonly unknown[] };
  readonly count: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Rows returned or affected, summed. */
  readonly rows: number;
  /** Distinct call sites, innermost app frame each. */
  readonly callSites: readonly string[];
}

/**
 * The queries one `profile()` scope captured, and what they add up to.
 *
 * @example
 * ```ts
 * const report = await profile(() => albums.findPage({ perPage: 10 }));
 * console.log(report.count, report.byFingerprint()[0]?.p95Ms);
 * console.log(report.format());
 * ```
 */
export class ProfileReport<T = unknown> {
  /** Every statement captured, transaction control (`begin`, `commit`...) included. */
  readonly statements: readonly QueryEvent[];
  /** The queries: statements without transaction control. */
  readonly queries: readonly QueryEvent[];

  constructor(
    statements: readonly QueryEvent[],
    /** What the profiled function returned. */
    readonly result: T,
  ) {
    this.statements = statements;
    this.queries = statements.filter((event) => event.kind !== 'transaction');
  }

  /** Number of queries (transaction control not counted). */
  get count(): number {
    return this.queries.length;
  }

  /** Time spent in the database, over all queries. */
  get totalMs(): number {
    return this.queries.reduce((sum, event) => sum + event.durationMs, 0);
  }

  /** The fingerprint of one captured query. */
  fingerprintOf(event: QueryEvent): Fingerprint {
    return fingerprintSql(event.sql, event.dialect);
  }

  /** One summary per query shape, most total time first. */
  byFingerprint(): FingerprintSummary[] {
    const groups = new Map<string, { fingerprint: Fingerprint; events: QueryEvent[] }>();
    for (const event of this.queries) {
      const fingerprint = this.fingerprintOf(event);
      const group = groups.get(fingerprint.id) ?? { fingerprint, events: [] };
      group.events.push(event);
      groups.set(fingerprint.id, group);
    }
    return [...groups.values()]
      .map(({ fingerprint, events }) => summarize(fingerprint, events))
      .sort((a, b) => b.totalMs - a.totalMs);
  }

  /** Repeated queries of the same shape from the same call stack (see `detectNPlusOne`). */
  nPlusOne(options?: NPlusOneOptions): NPlusOneFinding[] {
    return detectNPlusOne(this.queries, options);
  }

  /** A plain-text table of the query shapes, for a console. */
  format(options: { top?: number } = {}): string {
    const rows = this.byFingerprint().slice(0, options.top ?? 10);
    const lines = [`${this.count} queries, ${this.totalMs.toFixed(2)} ms in the database`];
    const header = ['count', 'total ms', 'mean ms', 'p95 ms', 'rows', 'query'];
    const table = rows.map((row) => [
      String(row.count),
      row.totalMs.toFixed(2),
      row.meanMs.toFixed(3),
      row.p95Ms.toFixed(3),
      String(row.rows),
      row.normalized.length > 90 ? `${row.normalized.slice(0, 87)}...` : row.normalized,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => (cells[i] as string).length)));
    const render = (cells: string[]) =>
      cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padStart(widths[i] as number))).join('  ');
    lines.push(render(header), ...table.map(render));
    for (const finding of this.nPlusOne()) {
      lines.push(`N+1: ${finding.message}`);
    }
    return lines.join('\n');
  }
}

function summarize(fingerprint: Fingerprint, events: readonly QueryEvent[]): FingerprintSummary {
  const durations = events.map((event) => event.durationMs).sort((a, b) => a - b);
  const totalMs = durations.reduce((sum, ms) => sum + ms, 0);
  const first = events[0] as QueryEvent;
  return {
    fingerprint: fingerprint.id,
    normalized: fingerprint.normalized,
    kind: first.kind,
    tables: fingerprint.tables,
    example: { sql: first.sql, params: first.params },
    count: events.length,
    totalMs,
    meanMs: totalMs / events.length,
    p50Ms: percentile(durations, 50),
    p95Ms: percentile(durations, 95),
    p99Ms: percentile(durations, 99),
    rows: events.reduce((sum, event) => sum + (event.rows ?? 0), 0),
    callSites: [...new Set(events.map((event) => event.stack?.callSite).filter((site) => site !== undefined))],
  };
}
