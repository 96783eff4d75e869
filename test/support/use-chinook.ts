import { DefaultLogger, type LogContext, type LoggerOptions, MikroORM, type Options } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { currentOperation, type StratumOperation } from '@stratum/core/internal';
import { afterAll, beforeAll } from 'vitest';
import { chinookConfig } from '../../examples/chinook/src/config.js';
import { seedChinook } from '../../examples/chinook/src/seeder.js';
import type { DriverContext } from '../harness/index.js';

/** A query as MikroORM's logger saw it, with the Stratum operation it ran in. */
export interface LoggedQuery extends LogContext {
  query: string;
  operation?: StratumOperation;
}

/** A logger that records every query MikroORM reports (whatever the debug setting), and prints nothing. */
class RecordingLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly sink: LoggedQuery[],
  ) {
    super(options);
  }

  override logQuery(context: LoggedQuery): void {
    this.sink.push({ ...context, operation: currentOperation() });
  }
}

/** What a Chinook-backed suite gets: the ORM, fresh forks, and the queries logged since the last reset. */
export interface ChinookSuite {
  readonly orm: MikroORM;
  /** A fresh EntityManager fork (empty identity map). */
  em(): SqlEntityManager;
  /** Queries logged since `resetQueries()`; BEGIN/COMMIT/SAVEPOINT lines included. */
  readonly queries: LoggedQuery[];
  /** Data statements only (no transaction control). */
  statements(pattern?: RegExp): LoggedQuery[];
  resetQueries(): void;
}

/**
 * Opens the Chinook example on the suite's database (from `describeEachDriver`), creates the schema
 * and seeds the real data (or `scale` × customers/invoices/lines) through BaseRepository.insertMany.
 */
export function useChinook(
  ctx: DriverContext,
  options: { scale?: number; config?: Partial<Options> } = {},
): ChinookSuite {
  const queries: LoggedQuery[] = [];
  let orm: MikroORM | undefined;
  beforeAll(async () => {
    orm = await MikroORM.init({
      ...chinookConfig({ ...ctx.options }),
      loggerFactory: (loggerOptions: LoggerOptions) => new RecordingLogger(loggerOptions, queries),
      ...options.config,
    } as Options);
    await orm.schema.create();
    await seedChinook(orm.em.fork() as SqlEntityManager, { scale: options.scale ?? 1 });
    queries.length = 0;
  });
  afterAll(async () => {
    await orm?.close(true);
  });
  return {
    get orm() {
      if (!orm) throw new Error('useChinook(): the ORM exists only inside hooks and tests');
      return orm;
    },
    em() {
      return this.orm.em.fork() as SqlEntityManager;
    },
    queries,
    statements(pattern?: RegExp) {
      return queries.filter(
        (q) =>
          !/^(begin|commit|rollback|savepoint|release savepoint|rollback to savepoint)\b/i.test(q.query.trim()) &&
          (!pattern || pattern.test(q.query)),
      );
    },
    resetQueries() {
      queries.length = 0;
    },
  };
}
