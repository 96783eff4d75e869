import { writeFile } from 'node:fs/promises';
import type { QueryEvent } from '../capture/query-event.js';
import { fingerprintSql } from '../fingerprint/fingerprint.js';
import { GlobalProfiler } from '../scope/global-profiler.js';

/** One query shape of a workload file. */
export interface WorkloadQuery {
  readonly fingerprint: string;
  readonly normalized: string;
  /** One real query of this shape and its parameters (as captured: redacted if redaction was on). */
  readonly example: { readonly sql: string; readonly params: readonly unknown[] };
  readonly kind: QueryEvent['kind'];
  readonly tables: readonly string[];
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
}

/**
 * The workload file: what the app asked of its database, by query shape. The index-migration
 * generator reads it. Format documented in docs/profiler.md (`version: 1`).
 */
export interface Workload {
  readonly version: 1;
  readonly generatedAt: string;
  readonly dialect: QueryEvent['dialect'] | 'mixed';
  readonly queries: readonly WorkloadQuery[];
}

/**
 * Builds a workload, heaviest shape first, transaction control left out: from captured queries (a
 * `profile()` report's `queries`), or from the always-on profiler — whose per-shape counters count
 * every query it saw (of the `maxFingerprints` shapes it tracks), each with the first query of the
 * shape as its example. (Its `recent()` holds only a sample of the queries: counted from it, calls and
 * times would be a fraction of the real ones.)
 *
 * @example
 * ```ts
 * const report = await profile(() => runNightlyReport());
 * await writeWorkload('workload.json', toWorkload(report.queries));
 *
 * const profiler = startProfiling(); // in a long-running app
 * // ... serve requests ...
 * await writeWorkload('workload-prod.json', toWorkload(profiler));
 * ```
 */
export function toWorkload(source: readonly QueryEvent[] | GlobalProfiler): Workload {
  if (source instanceof GlobalProfiler) {
    return fromProfiler(source);
  }
  const events = source;
  const shapes = new Map<string, { event: QueryEvent; calls: number; totalMs: number }>();
  const dialects = new Set<QueryEvent['dialect']>();
  for (const event of events) {
    if (event.kind === 'transaction') {
      continue;
    }
    dialects.add(event.dialect);
    const id = fingerprintSql(event.sql, event.dialect).id;
    const shape = shapes.get(id) ?? { event, calls: 0, totalMs: 0 };
    shape.calls++;
    shape.totalMs += event.durationMs;
    shapes.set(id, shape);
  }
  const queries = [...shapes.values()]
    .map(({ event, calls, totalMs }) => {
      const fingerprint = fingerprintSql(event.sql, event.dialect);
      return {
        fingerprint: fingerprint.id,
        normalized: fingerprint.normalized,
        example: { sql: event.sql, params: event.params },
        kind: event.kind,
        tables: fingerprint.tables,
        calls,
        totalMs,
        meanMs: totalMs / calls,
      };
    })
    .sort((a, b) => b.totalMs - a.totalMs);
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    dialect: dialects.size === 1 ? ([...dialects][0] as QueryEvent['dialect']) : 'mixed',
    queries,
  };
}

function fromProfiler(profiler: GlobalProfiler): Workload {
  const dialects = new Set<QueryEvent['dialect']>();
  const queries = profiler.fingerprints().map((shape): WorkloadQuery => {
    dialects.add(shape.dialect);
    return {
      fingerprint: shape.fingerprint,
      normalized: shape.normalized,
      example: shape.example,
      kind: shape.kind,
      tables: shape.tables,
      calls: shape.latency.count,
      totalMs: shape.latency.totalMs,
      meanMs: shape.latency.meanMs,
    };
  });
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    dialect: dialects.size === 1 ? ([...dialects][0] as QueryEvent['dialect']) : 'mixed',
    queries,
  };
}

/**
 * Writes a workload as pretty JSON (bigints as strings, buffers as hex).
 *
 * @example
 * ```ts
 * await writeWorkload('.data/workload.json', toWorkload(profiler));
 * ```
 */
export async function writeWorkload(path: string, workload: Workload): Promise<void> {
  const json = JSON.stringify(
    workload,
    (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
      return value;
    },
    2,
  );
  await writeFile(path, `${json}\n`);
}
