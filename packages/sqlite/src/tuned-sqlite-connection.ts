import type {
  AnyEntity,
  Configuration,
  ConnectionOptions,
  ConnectionType,
  EntityData,
  LoggingOptions,
  QueryResult,
  Transaction,
} from '@mikro-orm/core';
import type { Dictionary, NativeQueryBuilder, RawQueryFragment } from '@mikro-orm/sql';
import { SqliteConnection } from '@mikro-orm/sqlite';
import type { Database } from 'better-sqlite3';
import type { ControlledTransaction, Dialect, TransactionSettings } from 'kysely';
import { applyPragmas } from './apply-pragmas.js';
import { SqliteBusyTimeoutError } from './errors/sqlite-busy-timeout-error.js';
import { SqlitePragmaMismatchError } from './errors/sqlite-pragma-mismatch-error.js';
import { ImmediateSqliteDialect } from './immediate-sqlite-dialect.js';
import type { PragmaReport } from './pragma-report.js';
import { newConnectionStats, type SqliteConnectionStats } from './sqlite-connection-stats.js';
import { SqliteMaintenance } from './sqlite-maintenance.js';
import type { ResolvedSqliteTuning } from './sqlite-tuning.js';

/** A busy wait: SQLite's busy handler sleeps at least 1 ms; an uncontended BEGIN takes microseconds. */
const BUSY_WAIT_MS = 1;

/**
 * MikroORM's better-sqlite3 connection with the tuning applied: the pragmas on every (re)connect,
 * verified; BEGIN IMMEDIATE for writes; SQLITE_BUSY after the timeout as {@link SqliteBusyTimeoutError};
 * maintenance timers from connect to close. {@link TunedSqliteDriver} creates it for the primary and
 * for each replica.
 *
 * @example
 * ```ts
 * const connection = orm.em.getDriver().getConnection() as TunedSqliteConnection;
 * connection.report?.actual.journal_mode; // 'wal'
 * ```
 */
export class TunedSqliteConnection extends SqliteConnection {
  readonly tuning: ResolvedSqliteTuning;
  /** Counters since this connection object was created (they survive reconnects). */
  readonly stats: SqliteConnectionStats = newConnectionStats();
  #report: PragmaReport | undefined;
  #database: Database | undefined;
  #maintenance: SqliteMaintenance | undefined;
  #dialect: ImmediateSqliteDialect | undefined;

  constructor(
    config: Configuration,
    options: ConnectionOptions | undefined,
    type: ConnectionType | undefined,
    tuning: ResolvedSqliteTuning,
  ) {
    super(config, options, type);
    this.tuning = tuning;
  }

  /** The database file of this connection (a replica's own `dbName`, else the config's). */
  get file(): string {
    return this.options.dbName ?? this.config.get('dbName') ?? this.tuning.file;
  }

  /** What applying the pragmas did on the current underlying connection; `undefined` before the first connect. */
  get report(): PragmaReport | undefined {
    return this.#report;
  }

  /** The better-sqlite3 handle while connected (synchronous, for inspection and maintenance). */
  get sqliteDatabase(): Database | undefined {
    return this.#database?.open ? this.#database : undefined;
  }

  /** The maintenance of the current underlying connection. */
  get maintenance(): SqliteMaintenance | undefined {
    return this.#maintenance;
  }

  override createKyselyDialect(options: Dictionary): Dialect {
    const timeout = this.tuning.pragmas.busy_timeout;
    super.createKyselyDialect({
      ...(timeout === undefined ? {} : { timeout }),
      ...(this.tuning.readonly ? { readonly: true } : {}),
      ...options,
    });
    // SqliteConnection opened the better-sqlite3 handle into its `database` field (private in its
    // .d.ts only); we build our own dialect over that same handle.
    const database = Reflect.get(this, 'database') as Database;
    this.#database = database;
    const userHook = this.options.onCreateConnection ?? this.config.get('onCreateConnection');
    this.#dialect = new ImmediateSqliteDialect(
      {
        database,
        onCreateConnection: async (connection) => {
          const report = await applyPragmas(connection, this.tuning);
          this.#report = report;
          if (report.mismatches.length > 0) {
            if (this.tuning.strict) throw new SqlitePragmaMismatchError(this.file, report.mismatches);
            this.tuning.onMismatch(this.file, report.mismatches);
          }
          await userHook?.(connection);
        },
      },
      {
        beginMode: (settings: TransactionSettings) =>
          settings.accessMode === 'read only' ? 'deferred' : this.tuning.transactions,
        onBegin: (_mode, elapsedMs, error) => this.#afterLockWait(elapsedMs, error, true),
      },
    );
    return this.#dialect;
  }

  /** Begins like MikroORM's connection; a BEGIN that failed (busy past the timeout) is thrown here. */
  override async begin(
    options: Parameters<SqliteConnection['begin']>[0] = {},
  ): Promise<ControlledTransaction<any, any>> {
    const trx = await super.begin(options);
    const failure = this.#dialect?.takeBeginFailure();
    if (failure) {
      await trx.rollback().execute();
      throw failure;
    }
    return trx;
  }

  override async connect(options?: { skipOnConnect?: boolean }): Promise<void> {
    await super.connect(options);
    if (this.#database && !this.#maintenance?.running) {
      this.#maintenance = new SqliteMaintenance(this.#database, this.tuning, this.stats);
      this.#maintenance.start();
    }
  }

  override async close(force?: boolean): Promise<void> {
    this.#maintenance?.stop();
    this.#maintenance = undefined;
    await super.close(force);
    this.#database = undefined;
  }

  override async execute<
    T extends QueryResult | EntityData<AnyEntity> | EntityData<AnyEntity>[] = EntityData<AnyEntity>[],
  >(
    query: string | NativeQueryBuilder | RawQueryFragment,
    params?: readonly unknown[] | Dictionary<unknown>,
    method?: 'all' | 'get' | 'run',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    const started = performance.now();
    try {
      return await super.execute<T>(query, params, method, ctx, loggerContext);
    } catch (error) {
      // Only failures count here: any statement may take ≥ 1 ms for reasons other than a lock.
      throw this.#afterLockWait(performance.now() - started, error, false) ?? error;
    }
  }

  /**
   * Counts a busy wait (a BEGIN that took ≥ 1 ms, or any statement that timed out busy); turns
   * SQLITE_BUSY into the typed error (returned, the caller throws it).
   */
  #afterLockWait(elapsedMs: number, error: unknown, isBegin: boolean): SqliteBusyTimeoutError | undefined {
    const busy = error !== undefined && isBusy(error);
    if (busy || (isBegin && error === undefined && elapsedMs >= BUSY_WAIT_MS)) this.stats.busyWaits++;
    if (!busy) return undefined;
    this.stats.busyTimeouts++;
    return new SqliteBusyTimeoutError(
      this.file,
      Math.round(elapsedMs),
      this.#report?.actual.busy_timeout === undefined ? 0 : Number(this.#report.actual.busy_timeout),
      error,
    );
  }
}

/** SQLITE_BUSY and its extended codes, raw from better-sqlite3 or wrapped by MikroORM's converter. */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
