import type { Configuration, DriverException } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { SqliteBusyTimeoutError } from './errors/sqlite-busy-timeout-error.js';
import { type ResolvedSqliteTuning, resolveSqliteTuning } from './sqlite-tuning.js';
import { TunedSqliteConnection } from './tuned-sqlite-connection.js';
import { TunedSqlitePlatform } from './tuned-sqlite-platform.js';

/**
 * MikroORM's SQLite driver whose connections (primary and replicas) are {@link TunedSqliteConnection}s.
 * Used alone (`driver: TunedSqliteDriver`) it applies the `default` preset to the config's `dbName`;
 * {@link sqliteTuning} returns a subclass carrying your preset and overrides, validated up front.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init({ driver: TunedSqliteDriver, dbName: 'app.sqlite', entities });
 * ```
 */
export class TunedSqliteDriver extends SqliteDriver {
  /** The tuning of this driver class; `undefined` on the base class (the `default` preset is used). */
  static readonly tuning: ResolvedSqliteTuning | undefined = undefined;

  constructor(config: Configuration) {
    super(config);
    const tuning =
      (new.target as typeof TunedSqliteDriver).tuning ??
      resolveSqliteTuning({ dbName: config.get('dbName') ?? ':memory:' });
    const self = this as unknown as {
      connection: TunedSqliteConnection;
      replicas: TunedSqliteConnection[];
      platform: TunedSqlitePlatform;
    };
    self.platform = new TunedSqlitePlatform();
    self.connection = new TunedSqliteConnection(this.config, undefined, 'write', tuning);
    self.replicas = this.createReplicas(
      (options) => new TunedSqliteConnection(this.config, options, 'read', tuning),
    ) as unknown as TunedSqliteConnection[];
  }

  /** Keeps {@link SqliteBusyTimeoutError} as it is instead of wrapping it in a DriverException. */
  override convertException(exception: Error): DriverException {
    if (exception instanceof SqliteBusyTimeoutError) return exception as unknown as DriverException;
    return super.convertException(exception);
  }

  /**
   * A driver class carrying this tuning, for MikroORM's `driver` option.
   *
   * @example
   * ```ts
   * MikroORM.init({ driver: TunedSqliteDriver.with(resolveSqliteTuning({ dbName })), dbName, entities });
   * ```
   */
  static with(tuning: ResolvedSqliteTuning): typeof TunedSqliteDriver {
    return class extends TunedSqliteDriver {
      static override readonly tuning = tuning;
    };
  }
}
