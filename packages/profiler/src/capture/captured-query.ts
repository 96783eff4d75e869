import type { MetadataStorage } from '@mikro-orm/core';
import type { StratumBatch, StratumOperation } from '@stratum/core/internal';
import type { CallStack } from './call-stack.js';
import { type ExplainOptions, explainPlan, type PlanRunner, type QueryPlan } from './explain-plan.js';
import type { QueryConnection, QueryEvent } from './query-event.js';

/**
 * A {@link QueryEvent} as `instrument` builds it for every query: plain fields, and `explain` made on
 * demand (most queries are never planned, so none pays for a closure).
 */
export class CapturedQuery implements QueryEvent {
  constructor(
    readonly sql: string,
    readonly params: readonly unknown[],
    readonly kind: QueryEvent['kind'],
    readonly durationMs: number,
    readonly rows: number | undefined,
    readonly connection: QueryConnection,
    readonly inTransaction: boolean,
    readonly operation: StratumOperation | undefined,
    readonly batch: StratumBatch | undefined,
    readonly resolvesReference: boolean,
    readonly failed: boolean,
    readonly startedAt: number,
    readonly stack: CallStack | undefined,
    readonly dialect: QueryEvent['dialect'],
    readonly metadata: MetadataStorage,
    private readonly planner: PlanRunner | undefined,
    /** The values as sent (never redacted): what EXPLAIN needs. */
    private readonly sentParams: readonly unknown[],
  ) {}

  get explain(): ((options?: ExplainOptions) => Promise<QueryPlan>) | undefined {
    const { planner, dialect } = this;
    if (planner === undefined || dialect === 'generic') return undefined;
    return (options) => explainPlan(planner, dialect, this.sql, this.sentParams, options);
  }
}
