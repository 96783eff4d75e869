import { LatencyHistogram, type LatencySummary } from '../stats/latency-histogram.js';

/** What {@link timedMetrics} reports for one `@Timed` name. */
export interface TimedSnapshot {
  /** The metric's name, e.g. `TrackService.search`. */
  name: string;
  /** Calls that finished (returned, threw, or, for a promise, settled). Calls still running are not counted. */
  calls: number;
  /** Calls among `calls` that threw or rejected. */
  errors: number;
  /** Latency of the calls that succeeded (`latency.count === calls - errors`). */
  latency: LatencySummary;
  /** Latency of the calls that failed (`errorLatency.count === errors`), kept apart so fast failures do not flatter `latency`. */
  errorLatency: LatencySummary;
}

/**
 * The counters and histograms of one `@Timed` name. Internal (not exported by the package): the
 * decorator holds a reference to it, so {@link resetTimedMetrics} clears it in place instead of
 * replacing it.
 *
 * @example
 * ```ts
 * const metric = timedMetric('TrackService.search');
 * metric.succeeded(1_200_000); // one call that took 1.2 ms
 * metric.snapshot().latency.p50Ms; // 1.2
 * ```
 */
export class TimedMetric {
  calls = 0;
  errors = 0;
  readonly latency = new LatencyHistogram();
  readonly errorLatency = new LatencyHistogram();

  constructor(readonly name: string) {}

  /** A call that returned (or whose promise fulfilled) after `ns` nanoseconds. */
  succeeded(ns: number): void {
    this.calls++;
    this.latency.record(ns);
  }

  /** A call that threw (or whose promise rejected) after `ns` nanoseconds. */
  failed(ns: number): void {
    this.calls++;
    this.errors++;
    this.errorLatency.record(ns);
  }

  snapshot(): TimedSnapshot {
    return {
      name: this.name,
      calls: this.calls,
      errors: this.errors,
      latency: this.latency.summary(),
      errorLatency: this.errorLatency.summary(),
    };
  }

  reset(): void {
    this.calls = 0;
    this.errors = 0;
    this.latency.reset();
    this.errorLatency.reset();
  }
}

const metrics = new Map<string, TimedMetric>();

/**
 * The metric named `name`, created on first use. Every method timed under the same name shares it.
 * Internal (not exported by the package).
 *
 * @example
 * ```ts
 * timedMetric('tracks.count') === timedMetric('tracks.count'); // true
 * ```
 */
export function timedMetric(name: string): TimedMetric {
  let metric = metrics.get(name);
  if (metric === undefined) {
    metric = new TimedMetric(name);
    metrics.set(name, metric);
  }
  return metric;
}

/**
 * A snapshot of every `@Timed` name that has finished at least one call since the process started or
 * the last {@link resetTimedMetrics}, keyed by name.
 *
 * @example
 * ```ts
 * class TrackService {
 *   @Timed() async search(text: string) { return tracks.find({ name: { $like: `%${text}%` } }); }
 * }
 * await new TrackService().search('love');
 * timedMetrics()['TrackService.search']; // { name: 'TrackService.search', calls: 1, errors: 0, latency: { p50Ms: 1.2, ... }, ... }
 * ```
 */
export function timedMetrics(): Record<string, TimedSnapshot> {
  const out: Record<string, TimedSnapshot> = {};
  for (const metric of metrics.values()) {
    if (metric.calls > 0) {
      // defineProperty, so that a name such as "__proto__" is an ordinary key.
      Object.defineProperty(out, metric.name, {
        value: metric.snapshot(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}

/**
 * Sets every `@Timed` counter and histogram back to zero (e.g. between tests or benchmark phases).
 *
 * @example
 * ```ts
 * afterEach(() => resetTimedMetrics());
 * ```
 */
export function resetTimedMetrics(): void {
  for (const metric of metrics.values()) {
    metric.reset();
  }
}
