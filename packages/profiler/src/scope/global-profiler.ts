import { InvalidArgumentError } from '@stratum/core';
import type { QueryPlan } from '../capture/explain-plan.js';
import { addGlobalQueryRecorder } from '../capture/instrument.js';
import type { QueryEvent } from '../capture/query-event.js';
import type { QueryRecorder } from '../capture/query-recorder.js';
import type { SqlText } from '../capture/sql-text-table.js';
import { fingerprintSql } from '../fingerprint/fingerprint.js';
import { LatencyHistogram, type LatencySummary } from '../stats/latency-histogram.js';

/** SQL texts remembered with their shape; past this the memory starts over (bounded, whatever the app sends). */
const MAX_SQL_TEXTS = 4096;
/** Longer SQL (bulk statements with inlined values) is not remembered by its text. */
const MAX_SQL_TEXT_LENGTH = 4096;

/** Options of {@link startProfiling}. */
export interface GlobalProfilerOptions {
  /** Queries kept whole in {@link GlobalProfiler.recent} (a ring buffer, most recent last). @default 200 */
  maxRecent?: number;
  /**
   * One query in this many, picked at random, is kept whole in {@link GlobalProfiler.recent}; `1` keeps
   * every query. Every query is counted in the totals and its shape's statistics whatever this says.
   * @default 16
   */
  recentSampleRate?: number;
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
  /** The statement kind of the shape's queries. */
  readonly kind: QueryEvent['kind'];
  /** The database they ran on. */
  readonly dialect: QueryEvent['dialect'];
  /** The first query of this shape the profiler saw, whole: its SQL template and its values (redacted if redaction is on). */
  readonly example: { readonly sql: string; readonly params: readonly unknown[] };
  readonly errors: number;
  readonly rows: number;
  readonly latency: LatencySummary;
}

interface Shape {
  /** When it was last seen (a tick of the profiler): the least recently seen shape is dropped first. */
  lastSeen: number;
  /** Set when it was dropped (past `maxFingerprints`, or by `reset`): texts filed under it look again. */
  dropped: boolean;
  readonly fingerprint: string;
  readonly normalized: string;
  readonly tables: readonly string[];
  readonly kind: QueryEvent['kind'];
  readonly dialect: QueryEvent['dialect'];
  /** The first query of the shape, once its event is in; until then the text it was created from. */
  example: { readonly sql: string; readonly params: readonly unknown[] } | undefined;
  readonly sql: string;
  latency: LatencyHistogram;
  errors: number;
  rows: number;
}

/** Why the query just recorded is kept whole (bits of `#keep`). */
const KEEP_RECENT = 1;
const KEEP_SLOW = 2;
const KEEP_EXAMPLE = 4;

/**
 * The always-on profiler for long-running apps: every query of every instrumented ORM, in memory
 * that stays bounded however long it runs.
 *
 * Every query is counted — the totals and running statistics for at most `maxFingerprints` query
 * shapes (count, errors, rows, an HDR latency histogram) — from a few figures `instrument` hands over
 * (its interned SQL text, duration, rows, outcome), without building an object for it. Only a few
 * queries are kept whole, as {@link QueryEvent}s: one in `recentSampleRate` at random and those with a
 * sampled call stack (the last `maxRecent` of them in {@link recent}), every slow one (the last
 * `maxSlowQueries`, planned with `EXPLAIN`), and the first of each shape (its example).
 *
 * @example
 * ```ts
 * instrument(orm);
 * const profiler = startProfiling({ slowQueryMs: 100 });
 * // ... serve requests ...
 * app.get('/metrics', () => metricsSnapshot(profiler));
 * profiler.stop();
 * ```
 */
export class GlobalProfiler {
  readonly #maxRecent: number;
  readonly #sampleRate: number;
  readonly #maxFingerprints: number;
  readonly #slowQueryMs: number;
  readonly #maxSlowQueries: number;
  readonly #recent: QueryEvent[] = [];
  #next = 0;
  /** Queries left until the next one kept in the ring (a geometric gap: one in `#sampleRate` on average). */
  #untilSample = 1;
  readonly #shapes = new Map<string, Shape>();
  /**
   * Shapes by SQL text (MikroORM's template), for texts whose slot another recorder holds or that are
   * new to this profiler: one lookup, no fingerprinting.
   */
  readonly #bySql = new Map<string, Shape>();
  readonly #slow: SlowQuery[] = [];
  readonly #explain: boolean;
  readonly #largeTableRows: number;
  readonly #all = new LatencyHistogram();
  #errors = 0;
  #tick = 0;
  /** Why the query just recorded is kept whole, and its shape: read by `#receive`, in the same call. */
  #keep = 0;
  #keepShape: Shape | undefined;
  /** This profiler's door into `instrument`; also the key of its slot in the SQL texts' records. */
  readonly #recorder: QueryRecorder;
  #stop: (() => void) | undefined;

  constructor(options: GlobalProfilerOptions = {}) {
    this.#maxRecent = positive('maxRecent', options.maxRecent ?? 200);
    this.#sampleRate = positive('recentSampleRate', options.recentSampleRate ?? 16);
    this.#maxFingerprints = positive('maxFingerprints', options.maxFingerprints ?? 200);
    this.#slowQueryMs = options.slowQueryMs ?? 100;
    this.#maxSlowQueries = positive('maxSlowQueries', options.maxSlowQueries ?? 50);
    this.#explain = options.explainSlowQueries ?? true;
    this.#largeTableRows = options.largeTableRows ?? 1000;
    this.#untilSample = this.#gap();
    this.#recorder = {
      record: (text, dialect, durationMs, rows, failed, sampledStack) =>
        this.#record(text, dialect, durationMs, rows, failed, sampledStack),
      receive: (event) => this.#receive(event),
    };
    this.#stop = addGlobalQueryRecorder(this.#recorder);
  }

  /** Whether it still records. */
  get running(): boolean {
    return this.#stop !== undefined;
  }

  /**
   * The queries kept whole, oldest first: the last `maxRecent` of those sampled (one in
   * `recentSampleRate`, and those whose call stack was sampled). With `recentSampleRate: 1`, the last
   * `maxRecent` queries. For per-shape counts, read {@link fingerprints} (or `toWorkload(profiler)`).
   */
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
        kind: shape.kind,
        dialect: shape.dialect,
        example: shape.example ?? { sql: shape.sql, params: [] },
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
    for (const shape of this.#shapes.values()) {
      drop(shape);
    }
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

  /**
   * Counts one query from its primitives (the hot path: no object built) and says whether it is kept
   * whole; `#receive` then gets its event.
   */
  #record(
    text: SqlText,
    dialect: QueryEvent['dialect'],
    durationMs: number,
    rows: number | undefined,
    failed: boolean,
    sampledStack: boolean,
  ): boolean {
    if (text.kind === 'transaction') {
      return false;
    }
    let shape = text.recorder === this.#recorder ? (text.recorded as Shape) : undefined;
    if (shape === undefined || shape.dropped) {
      shape = this.#shapeOf(text, dialect);
    }
    const ns = durationMs * 1e6;
    this.#all.record(ns);
    shape.latency.record(ns);
    shape.lastSeen = ++this.#tick; // no Map reordering per query: recency is a counter
    if (rows !== undefined) {
      shape.rows += rows;
    }
    if (failed) {
      this.#errors++;
      shape.errors++;
    }
    let keep = 0;
    if (--this.#untilSample === 0) {
      this.#untilSample = this.#gap();
      keep = KEEP_RECENT;
    }
    if (sampledStack) {
      keep |= KEEP_RECENT;
    }
    if (durationMs >= this.#slowQueryMs) {
      keep |= KEEP_SLOW;
    }
    if (shape.example === undefined) {
      keep |= KEEP_EXAMPLE;
    }
    this.#keep = keep;
    this.#keepShape = keep === 0 ? undefined : shape;
    return keep !== 0;
  }

  /** The event of the query just recorded: kept where `#record` decided (nothing, if it asked for none). */
  #receive(event: QueryEvent): void {
    const keep = this.#keep;
    if (keep === 0) {
      return;
    }
    const shape = this.#keepShape as Shape;
    this.#keep = 0;
    this.#keepShape = undefined;
    if (keep & KEEP_RECENT) {
      if (this.#recent.length < this.#maxRecent) {
        this.#recent.push(event);
      } else {
        this.#recent[this.#next] = event;
        this.#next = (this.#next + 1) % this.#maxRecent;
      }
    }
    if (keep & KEEP_SLOW) {
      this.#slow.push(this.#slowEntry(event));
      if (this.#slow.length > this.#maxSlowQueries) {
        this.#slow.shift();
      }
    }
    if (keep & KEEP_EXAMPLE && !shape.dropped) {
      shape.example = { sql: event.sql, params: event.params };
    }
  }

  /** Queries until the next one kept in the ring: geometric, mean `#sampleRate` (no period to alias with). */
  #gap(): number {
    const rate = this.#sampleRate;
    if (rate === 1) {
      return 1;
    }
    return 1 + Math.floor(Math.log(1 - Math.random()) / Math.log(1 - 1 / rate));
  }

  /** The shape of a SQL text this profiler has not filed (or whose shape was dropped): then filed in its slot. */
  #shapeOf(text: SqlText, dialect: QueryEvent['dialect']): Shape {
    let shape = this.#bySql.get(text.sql);
    if (shape === undefined || shape.dropped) {
      shape = this.#shapeByFingerprint(text, dialect);
      if (this.#bySql.size >= MAX_SQL_TEXTS) {
        this.#bySql.clear();
      }
      if (text.sql.length <= MAX_SQL_TEXT_LENGTH) {
        this.#bySql.set(text.sql, shape);
      }
    }
    text.recorder = this.#recorder;
    text.recorded = shape;
    return shape;
  }

  /** Fingerprints a text: its shape if tracked, else a new one (dropping the least recently seen past the cap). */
  #shapeByFingerprint(text: SqlText, dialect: QueryEvent['dialect']): Shape {
    const fingerprint = fingerprintSql(text.sql, dialect);
    let shape = this.#shapes.get(fingerprint.id);
    if (!shape) {
      if (this.#shapes.size >= this.#maxFingerprints) {
        this.#dropLeastRecentlySeen();
      }
      shape = {
        lastSeen: 0,
        dropped: false,
        fingerprint: fingerprint.id,
        normalized: fingerprint.normalized,
        tables: fingerprint.tables,
        kind: text.kind,
        dialect,
        example: undefined,
        sql: text.sql,
        latency: new LatencyHistogram(),
        errors: 0,
        rows: 0,
      };
      this.#shapes.set(fingerprint.id, shape);
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
      drop(oldest);
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
 * Marks a shape dropped, and lets go of its counts: the SQL texts' slots may still point to it until
 * their next query, and should hold a few bytes, not a histogram.
 */
function drop(shape: Shape): void {
  shape.dropped = true;
  shape.latency = new LatencyHistogram();
  shape.example = undefined;
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
