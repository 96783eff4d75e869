import type { Database } from 'better-sqlite3';
import type { CheckpointResult, SqliteConnectionStats } from './sqlite-connection-stats.js';
import type { ResolvedSqliteTuning } from './sqlite-tuning.js';

/**
 * Checkpoints and `PRAGMA optimize` of one connection: when it opens (optimize), on unref'd timers
 * (PASSIVE checkpoints, optimize), and when it closes (optimize, TRUNCATE checkpoint). A tick that
 * finds the connection inside a transaction skips: MikroORM shares the connection, and a checkpoint
 * cannot run inside a transaction. Read-only and query_only connections do none of it.
 *
 * @example
 * ```ts
 * const maintenance = new SqliteMaintenance(database, tuning, stats);
 * maintenance.start();
 * maintenance.stop(); // on close: optimize + TRUNCATE
 * ```
 */
export class SqliteMaintenance {
  readonly #database: Database;
  readonly #tuning: ResolvedSqliteTuning;
  readonly #stats: SqliteConnectionStats;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(database: Database, tuning: ResolvedSqliteTuning, stats: SqliteConnectionStats) {
    this.#database = database;
    this.#tuning = tuning;
    this.#stats = stats;
  }

  /** Whether timers are running. */
  get running(): boolean {
    return this.#timers.length > 0;
  }

  /** Optimizes once (SQLite's advice for a connection that opens) and starts the timers. */
  start(): void {
    if (!this.#tuning.writes || this.running) return;
    // 0x10002: also analyze tables never analyzed yet, within analysis_limit (SQLite's advice at open).
    this.optimize('pragma optimize = 0x10002');
    const { checkpointEveryMs, optimizeEveryMs } = this.#tuning.maintenance;
    if (checkpointEveryMs !== false && !this.#tuning.memory) {
      this.#timers.push(setInterval(() => this.checkpoint('PASSIVE'), checkpointEveryMs).unref());
    }
    if (optimizeEveryMs !== false) {
      this.#timers.push(setInterval(() => this.optimize('pragma optimize'), optimizeEveryMs).unref());
    }
  }

  /** Stops the timers, then optimizes and TRUNCATE-checkpoints (when configured) before the close. */
  stop(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    if (!this.#tuning.writes || !this.#database.open) return;
    this.optimize('pragma optimize');
    if (this.#tuning.maintenance.truncateOnClose && !this.#tuning.memory) this.checkpoint('TRUNCATE');
  }

  /** Runs a checkpoint now; `null` when the connection is busy in a transaction or not in WAL mode. */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): CheckpointResult | null {
    if (!this.#database.open || this.#database.inTransaction) return null;
    try {
      const row = this.#database.prepare(`pragma wal_checkpoint(${mode})`).get() as
        | { busy: number; log: number; checkpointed: number }
        | undefined;
      if (!row || row.log === -1) return null;
      const result: CheckpointResult = {
        mode,
        busy: row.busy,
        log: row.log,
        checkpointed: row.checkpointed,
        at: Date.now(),
      };
      this.#stats.checkpoints++;
      this.#stats.lastCheckpoint = result;
      return result;
    } catch {
      // SQLITE_BUSY from another process' checkpoint: the next tick tries again.
      return null;
    }
  }

  optimize(sql: string): void {
    if (!this.#database.open || this.#database.inTransaction) return;
    try {
      this.#database.exec(sql);
      this.#stats.optimizeRuns++;
    } catch {
      // Busy (another writer holds the lock past the timeout): the next run tries again.
    }
  }
}
