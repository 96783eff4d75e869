import type { MetadataStorage } from '@mikro-orm/core';
import type { StratumBatch, StratumOperation } from '@stratum/core/internal';
import type { CallStack } from './call-stack.js';
import type { ExplainOptions, QueryPlan } from './explain-plan.js';

/** The connection a query ran on: MikroORM's primary (`write`) or a read replica (`read`), by name. */
export interface QueryConnection {
  readonly type: 'read' | 'write';
  readonly name: string;
}

/**
 * One query MikroORM sent, as the profiler captured it.
 *
 * @example
 * ```ts
 * const report = await profile(() => tracks.findPage({ perPage: 10 }));
 * for (const query of report.queries) console.log(query.durationMs.toFixed(3), query.sql, query.callSite);
 * ```
 */
export interface QueryEvent {
  /** The SQL as MikroORM logged it: its template, with `?` where values go. */
  readonly sql: string;
  /** The values, or `'[redacted]'` in their place when `redactParams` is on. */
  readonly params: readonly unknown[];
  /** `begin`/`commit`/`savepoint`... are `transaction`; they do not count as queries by default. */
  readonly kind: 'select' | 'insert' | 'update' | 'delete' | 'transaction' | 'other';
  /** Wall time from just before MikroORM formatted the query to just after the result came back. */
  readonly durationMs: number;
  /** Rows returned (reads) or affected (writes), when the driver says. */
  readonly rows: number | undefined;
  readonly connection: QueryConnection;
  /** Whether the query ran inside a transaction. */
  readonly inTransaction: boolean;
  /** The Stratum repository method it ran in, if any. */
  readonly operation: StratumOperation | undefined;
  /**
   * The Stratum batch it answers (a loader's batch, a `@Batched` call), if any: one query for many
   * callers, which the N+1 detector never reports.
   */
  readonly batch: StratumBatch | undefined;
  /**
   * Whether it loads an entity its EntityManager already knew: an uninitialized reference, or an
   * entity reloaded through it — a many-to-one (or one-to-one) being resolved (`wrap(track.album).init()`,
   * `track.album.load()`, `em.findOne(Album, track.album.id)`), not a lookup no relation led to
   * (`em.findOne(Track, 42)` on a fresh fork). Known inside `profile()` scopes; always `false` outside.
   */
  readonly resolvesReference: boolean;
  /** Set when the query failed. */
  readonly failed: boolean;
  /** `performance.now()` when it started. */
  readonly startedAt: number;
  /** Where it came from; parsed on demand. */
  readonly stack: CallStack | undefined;
  /** The database it ran on. */
  readonly dialect: 'postgresql' | 'sqlite' | 'generic';
  /** The entity metadata of the ORM that sent it (to name tables' entities and relations). */
  readonly metadata: MetadataStorage;
  /**
   * Plans the query again on its ORM (`EXPLAIN`, never executing it). `undefined` for transaction
   * control and for databases other than PostgreSQL and SQLite.
   */
  readonly explain: ((options?: ExplainOptions) => Promise<QueryPlan>) | undefined;
}
