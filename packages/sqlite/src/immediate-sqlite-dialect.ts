import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDriver as KyselySqliteDriver,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

/** What the dialect's driver reports to its connection: the BEGIN it ran, how long it took, whether it failed busy. */
export interface BeginObserver {
  /** `immediate` unless the transaction is read-only (MikroORM's `readOnly: true`) or the connection cannot write. */
  readonly beginMode: (settings: TransactionSettings) => 'immediate' | 'deferred';
  /** Called after every BEGIN with its duration; `error` when it failed (SQLITE_BUSY after the timeout). */
  readonly onBegin: (mode: 'immediate' | 'deferred', elapsedMs: number, error: unknown) => unknown;
}

/**
 * kysely's SQLite dialect whose transactions begin `BEGIN IMMEDIATE` (write lock taken at once, so a
 * concurrent writer waits on the busy timeout instead of failing when it upgrades from read to
 * write) and stay `BEGIN DEFERRED` when read-only. kysely's own driver always sends a plain `begin`.
 *
 * @example
 * ```ts
 * new Kysely({ dialect: new ImmediateSqliteDialect({ database }, { beginMode: () => 'immediate', onBegin: () => undefined }) });
 * ```
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #observer: BeginObserver;

  constructor(config: SqliteDialectConfig, observer: BeginObserver) {
    super(config);
    this.#config = config;
    this.#observer = observer;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#observer);
  }
}

class ImmediateSqliteDriver extends KyselySqliteDriver {
  readonly #observer: BeginObserver;

  constructor(config: SqliteDialectConfig, observer: BeginObserver) {
    super(config);
    this.#observer = observer;
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings = {}): Promise<void> {
    const mode = this.#observer.beginMode(settings);
    const started = performance.now();
    try {
      await connection.executeQuery(CompiledQuery.raw(`begin ${mode}`));
    } catch (error) {
      throw this.#observer.onBegin(mode, performance.now() - started, error) ?? error;
    }
    this.#observer.onBegin(mode, performance.now() - started, undefined);
  }
}
