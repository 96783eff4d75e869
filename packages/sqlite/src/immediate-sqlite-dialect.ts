import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDriver as KyselySqliteDriver,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

/** How the dialect's driver begins transactions and reports each BEGIN. */
export interface BeginObserver {
  /** `immediate` unless the transaction is read-only (MikroORM's `readOnly: true`) or the connection cannot write. */
  readonly beginMode: (settings: TransactionSettings) => 'immediate' | 'deferred';
  /**
   * Called after every BEGIN with its duration; `error` when it failed. Returns the error to report
   * instead (e.g. a typed busy timeout), or `undefined` to report `error` itself.
   */
  readonly onBegin: (mode: 'immediate' | 'deferred', elapsedMs: number, error: unknown) => Error | undefined;
}

/**
 * kysely's SQLite dialect whose transactions begin `BEGIN IMMEDIATE` (write lock taken at once, so a
 * concurrent writer waits on the busy timeout instead of failing when it upgrades from read to
 * write) and stay `BEGIN DEFERRED` when read-only. kysely's own driver always sends a plain `begin`.
 *
 * A failed BEGIN is not thrown from the driver: kysely 0.29's `startTransaction().execute()` would
 * then never release its one SQLite connection, and every later query would hang. It is recorded
 * instead; {@link ImmediateSqliteDialect.takeBeginFailure} hands it to the caller (MikroORM's
 * connection, see `TunedSqliteConnection.begin`), which rolls the transaction object back (no SQL is
 * sent for it, the connection is released) and throws it. Use it with controlled transactions only.
 *
 * @example
 * ```ts
 * const dialect = new ImmediateSqliteDialect({ database }, { beginMode: () => 'immediate', onBegin: () => undefined });
 * const trx = await new Kysely({ dialect }).startTransaction().execute();
 * const failure = dialect.takeBeginFailure();
 * if (failure) { await trx.rollback().execute(); throw failure; }
 * ```
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #observer: BeginObserver;
  readonly #failures = new Map<DatabaseConnection, Error>();

  constructor(config: SqliteDialectConfig, observer: BeginObserver) {
    super(config);
    this.#config = config;
    this.#observer = observer;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#observer, this.#failures);
  }

  /** The error of the last failed BEGIN, if one is pending (its rollback will then send no SQL). */
  takeBeginFailure(): Error | undefined {
    for (const error of this.#failures.values()) return error;
    return undefined;
  }
}

class ImmediateSqliteDriver extends KyselySqliteDriver {
  readonly #observer: BeginObserver;
  readonly #failures: Map<DatabaseConnection, Error>;

  constructor(config: SqliteDialectConfig, observer: BeginObserver, failures: Map<DatabaseConnection, Error>) {
    super(config);
    this.#observer = observer;
    this.#failures = failures;
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings = {}): Promise<void> {
    const mode = this.#observer.beginMode(settings);
    const started = performance.now();
    try {
      await connection.executeQuery(CompiledQuery.raw(`begin ${mode}`));
    } catch (error) {
      const reported = this.#observer.onBegin(mode, performance.now() - started, error);
      this.#failures.set(connection, reported ?? (error instanceof Error ? error : new Error(String(error))));
      return;
    }
    this.#observer.onBegin(mode, performance.now() - started, undefined);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // The BEGIN failed: there is no transaction to roll back, only the connection to release.
    if (this.#failures.delete(connection)) return;
    await super.rollbackTransaction(connection);
  }
}
