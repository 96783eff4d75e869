import { writeFile } from 'node:fs/promises';
import type { QueryEvent } from '../capture/query-event.js';
import { fingerprintSql } from '../fingerprint/fingerprint.js';

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
 * Builds a workload from captured queries (a `profile()` report's `queries`, or the always-on
 * profiler's `recent()`), transaction control left out, heaviest shape first.
 *
 * @example
 * ```ts
 * const report = await profile(() => runNightlyReport());
 * await writeWorkload('workload.json', toWorkload(report.queries));
 * ```
 */
export function toWorkload(events: readonly QueryEvent[]): Workload {
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

/**
 * Writes a workload as pretty JSON (bigints as strings, buffers as hex).
 *
 * @example
 * ```ts
 * await writeWorkload('.data/workload.json', toWorkload(profiler.recent()));
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
