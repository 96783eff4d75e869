import type { Meter } from '@opentelemetry/api';
import { addGlobalQuerySink } from '../capture/instrument.js';

/**
 * Records every captured query into an OpenTelemetry histogram,
 * `db.client.operation.duration` (seconds), with the semantic-convention attributes
 * `db.system.name` and `db.operation.name`, and `db.collection.name` when the query has one table
 * (bounded cardinality). Returns the function that stops it.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * instrument(orm);
 * const stop = recordOpenTelemetryMetrics(metrics.getMeter('stratum'));
 * ```
 */
export function recordOpenTelemetryMetrics(meter: Meter): () => void {
  const histogram = meter.createHistogram('db.client.operation.duration', {
    description: 'Duration of database client operations (Stratum profiler)',
    unit: 's',
  });
  return addGlobalQuerySink((event) => {
    if (event.kind === 'transaction') {
      return;
    }
    const table = /\b(?:from|into|update)\s+[`"]?([\w$.]+)/i.exec(event.sql)?.[1];
    histogram.record(event.durationMs / 1000, {
      'db.system.name': event.dialect,
      'db.operation.name': event.kind,
      ...(table ? { 'db.collection.name': table } : {}),
      ...(event.failed ? { 'error.type': 'query_failed' } : {}),
    });
  });
}
