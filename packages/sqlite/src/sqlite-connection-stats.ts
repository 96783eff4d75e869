/** The result of one WAL checkpoint (`PRAGMA wal_checkpoint`), with when and how it ran. */
export interface CheckpointResult {
  readonly mode: 'PASSIVE' | 'TRUNCATE';
  /** 1 when a reader or writer kept the checkpoint from completing. */
  readonly busy: number;
  /** Frames in the WAL (-1 when not in WAL mode). */
  readonly log: number;
  /** Frames copied back to the database file. */
  readonly checkpointed: number;
  /** `Date.now()` when it ran. */
  readonly at: number;
}

/**
 * Counters of one tuned connection, for inspection and metrics. A busy wait is a BEGIN that took
 * 1 ms or more (SQLite's busy handler sleeps at least 1 ms, an uncontended BEGIN takes microseconds),
 * or any statement that failed busy after the timeout (a busy timeout, counted in both).
 */
export interface SqliteConnectionStats {
  checkpoints: number;
  lastCheckpoint: CheckpointResult | null;
  busyWaits: number;
  busyTimeouts: number;
  optimizeRuns: number;
}

/** Fresh counters. */
export function newConnectionStats(): SqliteConnectionStats {
  return { checkpoints: 0, lastCheckpoint: null, busyWaits: 0, busyTimeouts: 0, optimizeRuns: 0 };
}
