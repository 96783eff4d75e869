// `import '@stratum/profiler/vitest'` in a vitest setup file adds the query matchers to `expect`.
import { expect } from 'vitest';
import { anyInstrumented } from './capture/instrument.js';
import type { QueryEvent } from './capture/query-event.js';
import { fingerprintSql } from './fingerprint/fingerprint.js';
import type { NPlusOneOptions } from './n-plus-one/detect-n-plus-one.js';
import { profile } from './scope/profile.js';
import type { ProfileReport } from './scope/profile-report.js';

declare module 'vitest' {
  interface Matchers<R, T> {
    /** `await expect(() => repo.findPage()).toIssueQueries(2)`: the function sends exactly `count` queries. */
    toIssueQueries(count: number): Promise<void>;
    /** `await expect(fn).toIssueQueriesMatching(/insert/i, 1)`: exactly `count` of its queries match. */
    toIssueQueriesMatching(pattern: RegExp, count: number): Promise<void>;
    /** `await expect(fn).toHaveNoNPlusOne()`: no query shape repeats from one call stack. */
    toHaveNoNPlusOne(options?: NPlusOneOptions): Promise<void>;
  }
}

type Profiled = () => unknown;

expect.extend({
  async toIssueQueries(received: unknown, count: number) {
    const report = await profileOrFail(received, 'toIssueQueries');
    const pass = report.count === count;
    return {
      pass,
      message: () =>
        pass
          ? `expected the function not to issue ${count} queries, but it did:\n${listQueries(report.queries)}`
          : `expected the function to issue ${count} ${plural(count, 'query', 'queries')}, but it issued ${report.count}:\n${listQueries(report.queries)}`,
      actual: report.count,
      expected: count,
    };
  },

  async toIssueQueriesMatching(received: unknown, pattern: RegExp, count: number) {
    const report = await profileOrFail(received, 'toIssueQueriesMatching');
    const matching = report.queries.filter((event) => pattern.test(event.sql));
    const pass = matching.length === count;
    return {
      pass,
      message: () =>
        `expected the function ${pass ? 'not ' : ''}to issue ${count} ${plural(count, 'query', 'queries')} matching ${pattern}, ` +
        `but ${matching.length} of its ${report.count} matched:\n${listQueries(report.queries, pattern)}`,
      actual: matching.length,
      expected: count,
    };
  },

  async toHaveNoNPlusOne(received: unknown, options?: NPlusOneOptions) {
    const report = await profileOrFail(received, 'toHaveNoNPlusOne');
    const findings = report.nPlusOne(options);
    const pass = findings.length === 0;
    return {
      pass,
      message: () =>
        pass
          ? `expected an N+1 query, but none of the ${report.count} queries repeated from one call stack:\n${listQueries(report.queries)}`
          : `expected no N+1 queries, but found ${findings.length}:\n${findings
              .map(
                (finding) => `  - ${finding.message}\n${finding.stack.map((frame) => `      at ${frame}`).join('\n')}`,
              )
              .join('\n')}`,
    };
  },
});

/** Options of {@link expectConstantQueries}. */
export interface ConstantQueriesOptions {
  /** Creates the data at scale `factor` (the database is reset before each factor). */
  seed: (factor: number) => unknown;
  /** The code under test. */
  run: () => unknown;
  /** Empties the database between factors, e.g. `() => orm.schema.clear()`. */
  reset: () => unknown;
  /** @default [2, 3] */
  scaleFactors?: readonly number[];
}

/**
 * The n_plus_one_control check: seeds the data at each scale factor, runs the code under test, and
 * fails unless it sends the same number of queries at every scale. A query count that grows with
 * the data is an N+1, whatever the call stacks look like.
 *
 * @example
 * ```ts
 * await expectConstantQueries({
 *   reset: () => orm.schema.clear(),
 *   seed: (factor) => seedAlbums(orm.em.fork(), { albums: 5 * factor, tracksPerAlbum: 3 }),
 *   run: () => albumService.listWithTracks(),
 * });
 * ```
 */
export async function expectConstantQueries(options: ConstantQueriesOptions): Promise<void> {
  const factors = options.scaleFactors ?? [2, 3];
  if (factors.length < 2) {
    throw new TypeError(
      `expectConstantQueries needs at least two scaleFactors to compare, but got: ${JSON.stringify(factors)}.`,
    );
  }
  const reports: { factor: number; report: ProfileReport }[] = [];
  for (const factor of factors) {
    await options.reset();
    await options.seed(factor);
    reports.push({ factor, report: await profile(options.run, { nPlusOne: { mode: 'off' } }) });
  }
  const counts = reports.map(({ report }) => report.count);
  if (new Set(counts).size > 1) {
    const detail = reports
      .map(
        ({ factor, report }) =>
          `scale ${factor}: ${report.count} ${plural(report.count, 'query', 'queries')}\n${listQueries(report.queries)}`,
      )
      .join('\n');
    const error = new Error(
      `expected the number of queries not to grow with the data, but it went ${counts.join(' → ')} for scale factors ${factors.join(', ')}:\n${detail}`,
    );
    Error.captureStackTrace(error, expectConstantQueries);
    throw error;
  }
}

async function profileOrFail(received: unknown, matcher: string): Promise<ProfileReport> {
  if (typeof received !== 'function') {
    throw new TypeError(
      `${matcher} expects a function that sends the queries (expect(() => repo.findPage()).${matcher}(...)), but got: ${typeof received}.`,
    );
  }
  if (!anyInstrumented()) {
    throw new Error(
      `${matcher} sees no query: no ORM is instrumented. Call instrument(orm) from '@stratum/profiler' once, where the test creates its ORM.`,
    );
  }
  return profile(received as Profiled, { nPlusOne: { mode: 'off' } });
}

/** The queries grouped by fingerprint, each group with its count and call sites. */
function listQueries(events: readonly QueryEvent[], highlight?: RegExp): string {
  if (events.length === 0) {
    return '  (no queries)';
  }
  const groups = new Map<string, { normalized: string; events: QueryEvent[] }>();
  for (const event of events) {
    const fingerprint = fingerprintSql(event.sql, event.dialect);
    const group = groups.get(fingerprint.id) ?? { normalized: fingerprint.normalized, events: [] };
    group.events.push(event);
    groups.set(fingerprint.id, group);
  }
  return [...groups.values()]
    .map(({ normalized, events: group }) => {
      const mark = highlight && group.some((event) => highlight.test(event.sql)) ? '» ' : '  ';
      const sites = [...new Set(group.map((event) => event.stack?.callSite ?? 'unknown call site'))];
      return `${mark}${group.length} × ${normalized}\n${sites.map((site) => `      at ${site}`).join('\n')}`;
    })
    .join('\n');
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}
