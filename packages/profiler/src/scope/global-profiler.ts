import { InvalidArgumentError } from '@stratum/core';
import type { QueryPlan } from '../capture/explain-plan.js';
import { addGlobalQuerySink } from '../capture/instrument.js';
import type { QueryEvent } from '../capture/query-event.js';
import { fingerprintSql } from '../fingerprint/fingerprint.js';
import { LatencyHistogram, type LatencySummary } from '../stats/latency-histogram.js';

/** SQL texts remembered with their shape; past this the memory starts over (bounded, whatever the app sends). */
const MAX_SQL_TEXTS = 4096;
/** Longer SQL (bulk statements with inlined values) is not remembered by its text. */
const MAX_SQL_TEXT_LENGTH = 4096;

/** Options of {@link startProfiling}. */
export interface GlobalProfilerOptions {
  /** Most recent queries kept (a ring buffer). @default 200 */
  maxRecent?: number;
  /** Query shapes tracked; the least recently seen is dropped past this. @default 200 */
  maxFingerprints?: number;
  /** A query at least this slow is kept in the slow-query log. @default 100 */
  slowQueryMs?: number;
  /** Slow queries kept. @default 50 */
  maxSlowQueries?: number;
  /** Plan each slow query (`EXPLAIN`, not executed) and flag sequential scans of large tables. @default true */
  explainSlowQueries?: boolean;
  /** With `explainSlowQueries`: a sequential scan is flagged from this many table rows. @default 1000 */
  largeTableRows?: number;
}

/** An entry of the slow-query log: the query and, once planned, its plan. */
export interface SlowQuery {
  readonly event: QueryEvent;
  /** Set when the plan is in (planning runs in the background). */
  plan?: QueryPlan;
  /** Why there is no plan, if planning failed. */
  planError?: string;
  /** Resolves when planning is done (or at once when there is nothing to plan). */
  readonly planned: Promise<void>;
}

/** Running figures of one query shape. */
export interface FingerprintStats {
  readonly fingerprint: string;
  readonly normalized: string;
  readonly tables: readonly string[];
  readonly errors: number;
  readonly rows: number;
  readonly latency: LatencySummary;
}

interface Shape {
  /** When it was last seen (a tick of the profiler): the least recently seen shape is dropped first. */
  lastSeen: number;
  readonly fingerprint: string;
  readonly normalized: string;
  readonly tables: readonly string[];
  readonly latency: LatencyHistogram;
  errors: number;
  rows: number;
}

/**
 * The always-on profiler for long-running apps: every query of every instrumented ORM, in memory
 * that stays bounded however long it runs — the last `maxRecent` queries, running statistics for at
 * most `maxFingerprints` query shapes (HDR histograms), and the last `maxSlowQueries` slow ones.
 *
 * @example
 * ```ts
 * instrument(orm);
 * const profiler = startProfiling({ slowQueryMs: 100 });
 * // ... serve requests ...
 * app.get('/metrics', () => profiler.snapshot());
 * profiler.stop();
 * ```
 */
export class GlobalProfiler {
  readonly #maxRecent: number;
  readonly #maxFingerprints: number;
  readonly #slowQueryMs: number;
  readonly #maxSlowQueries: number;
  readonly #recent: QueryEvent[] = [];
  #next = 0;
  readonly #shapes = new Map<string, Shape>();
  /** Shapes by SQL text (MikroORM's template): a repeated query is one lookup, no fingerprinting. */
  readonly #bySql = new Map<string, Shape>();
  readonly #slow: SlowQuery[] = [];
  readonly #explain: boolean;
  readonly #largeTableRows: number;
  readonly #all = new LatencyHistogram();
  #errors = 0;
  #tick = 0;
  #stop: (() => void) | undefined;

  constructor(options: GlobalProfilerOptions = {}) {
    this.#maxRecent = positive('maxRecent', options.maxRecent ?? 200);
    this.#maxFingerprints = positive('maxFingerprints', options.maxFingerprints ?? 200);
    this.#slowQueryMs = options.slowQueryMs ?? 100;
    this.#maxSlowQueries = positive('maxSlowQueries', options.maxSlowQueries ?? 50);
    this.#explain = options.explainSlowQueries ?? true;
    this.#largeTableRows = options.largeTableRows ?? 1000;
    this.#stop = addGlobalQuerySink((event) => this.#record(event));
  }

  /** Whether it still records. */
  get running(): boolean {
    return this.#stop !== undefined;
  }

  /** The most recent queries, oldest first. */
  recent(): QueryEvent[] {
    return [...this.#recent.slice(this.#next), ...this.#recent.slice(0, this.#next)];
  }

  /** The slow-query log, oldest first. */
  slowQueries(): SlowQuery[] {
    return [...this.#slow];
  }

  /** Statistics per query shape, most total time first. */
  fingerprints(): FingerprintStats[] {
    return [...this.#shapes.values()]
      .map((shape) => ({
        fingerprint: shape.fingerprint,
        normalized: shape.normalized,
        tables: shape.tables,
        errors: shape.errors,
        rows: shape.rows,
        latency: shape.latency.summary(),
      }))
      .sort((a, b) => b.latency.totalMs - a.latency.totalMs);
  }

  /** All queries together: count, errors and latency. */
  totals(): { readonly queries: number; readonly errors: number; readonly latency: LatencySummary } {
    return { queries: this.#all.count, errors: this.#errors, latency: this.#all.summary() };
  }

  /** Forgets everything recorded so far (keeps recording). */
  reset(): void {
    this.#recent.length = 0;
    this.#next = 0;
    this.#shapes.clear();
    this.#bySql.clear();
    this.#slow.length = 0;
    this.#all.reset();
    this.#errors = 0;
  }

  /** Stops recording; what was recorded stays readable. */
  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  #record(event: QueryEvent): void {
    if (event.kind === 'transaction') {
      return;
    }
    if (this.#recent.length < this.#maxRecent) {
      this.#recent.push(event);
    } else {
      this.#recent[this.#next] = event;
      this.#next = (this.#next + 1) % this.#maxRecent;
    }
    const ns = event.durationMs * 1e6;
    this.#all.record(ns);
    if (event.failed) {
      this.#errors++;
    }
    const shape = this.#bySql.get(event.sql) ?? this.#shapeOf(event);
    shape.lastSeen = ++this.#tick; // no Map reordering per query: recency is a counter
    shape.latency.record(ns);
    shape.rows += event.rows ?? 0;
    if (event.failed) {
      shape.errors++;
    }
    if (event.durationMs >= this.#slowQueryMs) {
      this.#slow.push(this.#slowEntry(event));
      if (this.#slow.length > this.#maxSlowQueries) {
        this.#slow.shift();
      }
    }
  }

  /** The shape of a SQL text not seen lately: fingerprinted once, then found by its text. */
  #shapeOf(event: QueryEvent): Shape {
    const fingerprint = fingerprintSql(event.sql, event.dialect);
    let shape = this.#shapes.get(fingerprint.id);
    if (!shape) {
      if (this.#shapes.size >= this.#maxFingerprints) {
        this.#dropLeastRecentlySeen();
      }
      shape = {
        lastSeen: 0,
        fingerprint: fingerprint.id,
        normalized: fingerprint.normalized,
        tables: fingerprint.tables,
        latency: new LatencyHistogram(),
        errors: 0,
        rows: 0,
      };
      this.#shapes.set(fingerprint.id, shape);
    }
    if (this.#bySql.size >= MAX_SQL_TEXTS) {
      this.#bySql.clear();
    }
    if (event.sql.length <= MAX_SQL_TEXT_LENGTH) {
      this.#bySql.set(event.sql, shape);
    }
    return shape;
  }

  /** Drops the shape seen least recently (a scan, only when a new shape arrives past the cap). */
  #dropLeastRecentlySeen(): void {
    let oldest: Shape | undefined;
    for (const shape of this.#shapes.values()) {
      if (oldest === undefined || shape.lastSeen < oldest.lastSeen) oldest = shape;
    }
    if (oldest) {
      this.#shapes.delete(oldest.fingerprint);
      this.#bySql.clear(); // some texts pointed to it: found again through their fingerprints
    }
  }

  #slowEntry(event: QueryEvent): SlowQuery {
    if (!this.#explain || !event.explain) {
      return { event, planned: Promise.resolve() };
    }
    const entry: { -readonly [K in keyof SlowQuery]: SlowQuery[K] } = { event, planned: Promise.resolve() };
    entry.planned = event.explain({ largeTableRows: this.#largeTableRows }).then(
      (plan) => {
        entry.plan = plan;
      },
      (error: unknown) => {
        entry.planError = error instanceof Error ? error.message : String(error);
      },
    );
    return entry;
  }
}

/**
 * Starts the always-on profiler (see {@link GlobalProfiler}).
 *
 * @example
 * ```ts
 * const profiler = startProfiling({ maxFingerprints: 100, slowQueryMs: 50 });
 * ```
 */
export function startProfiling(options: GlobalProfilerOptions = {}): GlobalProfiler {
  return new GlobalProfiler(options);
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(name, 'a positive integer', value);
  }
  return value;
}
