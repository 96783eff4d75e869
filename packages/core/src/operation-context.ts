import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The Stratum operation a query belongs to: which repository, which method. Packages that watch
 * queries (the profiler, sqlcommenter) read it with {@link currentOperation} while MikroORM logs the
 * query; decorators add their name.
 *
 * @example
 * ```ts
 * class LoggerWithContext extends DefaultLogger {
 *   override logQuery(context: LogContext & { query: string }) {
 *     console.log(currentOperation()?.method, context.query); // "findPage select ..."
 *   }
 * }
 * ```
 */
export interface StratumOperation {
  /** The repository class name, e.g. `TrackRepository`. */
  readonly repository: string;
  /** The entity class name, e.g. `Track`. */
  readonly entity: string;
  /** The method the caller called, e.g. `findPage` or an app's own `findByComposer`. */
  readonly method: string;
  /** The Stratum decorator that wraps the method, if any, e.g. `Cached`. */
  readonly decorator?: string;
}

const storage = new AsyncLocalStorage<StratumOperation>();

/**
 * The operation the current async context runs in, or `undefined` outside any.
 *
 * @example
 * ```ts
 * await runInOperation({ repository: 'TrackRepository', entity: 'Track', method: 'search' }, async () => {
 *   currentOperation()?.method; // 'search'
 * });
 * ```
 */
export function currentOperation(): StratumOperation | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` as `operation`. An operation that is already running wins: when an app's repository
 * method (made visible by a decorator) calls `findPage`, its queries stay attributed to the app's method.
 *
 * @example
 * ```ts
 * const page = await runInOperation({ repository: 'TrackRepository', entity: 'Track', method: 'search' }, () =>
 *   tracks.findPage({ where: { name: { $like: '%love%' } } }),
 * );
 * ```
 */
export function runInOperation<T>(operation: StratumOperation, fn: () => T): T {
  return storage.getStore() ? fn() : storage.run(operation, fn);
}
