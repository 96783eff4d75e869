import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { type Configuration, type Dictionary, type MetadataStorage, TransactionContext } from '@mikro-orm/core';
import { BasePostgreSqlPlatform, SqlitePlatform } from '@mikro-orm/sql';
import { type BatchCallerTracer, currentBatch, currentOperation, setBatchCallerTracer } from '@stratum/core/internal';
import { CallStack } from './call-stack.js';
import { CapturedQuery } from './captured-query.js';
import type { PlanRunner } from './explain-plan.js';
import type { QueryConnection, QueryEvent } from './query-event.js';
import type { QueryRecorder } from './query-recorder.js';
import { QueryStarts } from './query-starts.js';
import { type SqlText, SqlTextTable, untrackedSqlText } from './sql-text-table.js';

/** Receives every query captured while it is registered. */
export type QuerySink = (event: QueryEvent) => void;

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Replace parameter values by `'[redacted]'` in captured events (they may hold personal data). @default false */
  redactParams?: boolean;
  /** Frames kept per captured call stack; deeper stacks lose their outermost frames. @default 30 */
  stackDepth?: number;
  /**
   * Outside `profile()` scopes (the always-on profiler alone), capture the call stack of the first
   * `sampledStacks` queries of each SQL text and of one in `stackSampleRate` after that. A stack costs
   * ~30 µs through MikroORM's async chains (one in 1024: ~0.03 µs per query); `profile()` scopes,
   * which need every stack to find N+1s, always capture.
   * @default 3 and 1024
   */
  sampledStacks?: number;
  stackSampleRate?: number;
}

/** The part of an EntityManager the profiler needs. */
interface ProfiledEntityManager {
  readonly config: Configuration;
  readonly name: string;
  getPlatform(): unknown;
  getMetadata(): MetadataStorage;
  getConnection(type?: 'read' | 'write'): object;
  getDriver?(): object;
}

/** MikroORM's `driver.findOne`, which `em.findOne` (and so `wrap(ref).init()`, `ref.load()`) calls with the fork. */
type FindOne = (entityName: unknown, where: unknown, options?: { em?: unknown; schema?: string }) => Promise<unknown>;

type ExecutingConnection = { execute(sql: string, params: readonly unknown[]): Promise<Dictionary[]> };

/** A MikroORM instance, or any of its EntityManagers: what `instrument` hooks into. */
export type ProfiledOrm = { readonly em: ProfiledEntityManager } | ProfiledEntityManager;

/** SQL texts whose stack sampling is tracked; past this the counts start over (bounded memory). */
const MAX_SAMPLED_SQL = 10_000;

interface Installed {
  readonly settings: InstrumentOptions;
  /** Puts MikroORM's hooks back as they were before `instrument`. */
  readonly remove: () => void;
}

const instrumented = new WeakMap<Configuration, Installed>();
/** The sinks of the enclosing `profile()` scopes, or {@link UNPROFILED} inside the profiler's own queries. */
const scopeSinks = new AsyncLocalStorage<readonly QuerySink[]>();
/** The scope of the profiler's own queries (EXPLAIN): never captured, whatever scopes enclose it. */
const UNPROFILED: readonly QuerySink[] = Object.freeze([]);
/** The global sinks, in registration order: an array, iterated per query without an iterator object. */
let globalSinks: readonly QuerySink[] = [];
/** The global recorders (always-on profilers), in registration order. */
let globalRecorders: readonly QueryRecorder[] = [];
/** The SQL text tables of the instrumented ORMs: a recorder that stops is forgotten in each. */
const textTables = new Set<SqlTextTable>();
const NO_PARAMS: readonly unknown[] = Object.freeze([]);
let instrumentedOrms = 0;
/**
 * Set while MikroORM's driver loads an entity its EntityManager held as an uninitialized reference
 * (a relation being resolved), inside `profile()` scopes: `QueryEvent.resolvesReference`.
 */
const referenceLoads = new AsyncLocalStorage<true>();
/** Frames kept per stack of a loader's caller (the latest `stackDepth` given to `instrument`). */
let callerStackDepth = 30;
/**
 * Where a Stratum loader's `load(key)` is called, inside `profile()` scopes only: the N+1 detector
 * groups one-key batches by it (the batch itself runs a tick later, from the loader's dispatch).
 */
const traceCaller: BatchCallerTracer = () => {
  const scope = scopeSinks.getStore();
  return scope !== undefined && scope !== UNPROFILED ? CallStack.capture(callerStackDepth) : undefined;
};
/** The tracer `traceCaller` replaced, put back when the last ORM is uninstrumented. */
let replacedTracer: BatchCallerTracer | undefined;

/**
 * Hooks the profiler into a MikroORM instance, once: every query its EntityManagers send (and
 * Stratum's bulk statements) is timed with `performance.now()` and handed to the active `profile()`
 * scopes and global sinks as a `QueryEvent`, and to the always-on profiler as a few figures (it asks
 * for the event of the few queries it keeps whole). Nothing is captured, and almost nothing is spent,
 * while none is active.
 *
 * It uses two public hooks of MikroORM: `onQuery` (called just before a query is formatted and
 * sent: start time and call stack) and the logger's `logQuery` (called when the result is in).
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init(config);
 * instrument(orm, { redactParams: true });
 * const report = await profile(() => orm.em.fork().find(Track, { album: 1 }));
 * ```
 */
export function instrument(orm: ProfiledOrm, options: InstrumentOptions = {}): void {
  const em = 'em' in orm ? orm.em : orm;
  const config = em.config;
  const installed = instrumented.get(config);
  callerStackDepth = options.stackDepth ?? callerStackDepth;
  if (installed !== undefined) {
    // Settings are one object per ORM, read by the hooks on every query: update it in place.
    Object.assign(installed.settings, options);
    return;
  }
  const capture = new OrmCapture(em, { ...options });
  textTables.add(capture.texts);
  const removeOnQuery = hookOnQuery(config, capture);
  const removeLogQuery = hookLogQuery(config, capture);
  const removeFindOne = hookFindOne(em);
  instrumented.set(config, {
    settings: capture.settings,
    remove: () => {
      textTables.delete(capture.texts);
      removeOnQuery();
      removeLogQuery();
      removeFindOne();
    },
  });
  if (instrumentedOrms++ === 0) {
    replacedTracer = setBatchCallerTracer(traceCaller);
  }
}

/** MikroORM's `onQuery`, called just before a query is formatted and sent: its start. Returns the undo. */
function hookOnQuery(config: Configuration, capture: OrmCapture): () => void {
  const previousOnQuery = config.get('onQuery');
  const onQuery = (sql: string, params: readonly unknown[]) => {
    capture.queryStarting(sql, params);
    return previousOnQuery(sql, params);
  };
  config.set('onQuery', onQuery);
  return () => {
    if (config.get('onQuery') === onQuery) {
      config.set('onQuery', previousOnQuery);
    }
  };
}

/** The logger's `logQuery`, called when the result is in: the query, captured. Returns the undo. */
function hookLogQuery(config: Configuration, capture: OrmCapture): () => void {
  const logger = config.getLogger();
  const originalLogQuery = logger.logQuery;
  const logQuery = originalLogQuery.bind(logger);
  const capturingLogQuery: typeof logger.logQuery = (context) => {
    logQuery(context);
    capture.queryLogged(context);
  };
  logger.logQuery = capturingLogQuery;
  return () => {
    if (logger.logQuery === capturingLogQuery) {
      // Assigned back, never deleted: the logger keeps its own `logQuery` property, so its hidden
      // class (which MikroORM's optimized code was built for) does not change with every
      // instrument/uninstrument cycle. It behaves exactly as the logger's own method.
      logger.logQuery = originalLogQuery;
    }
  };
}

/**
 * The driver's `findOne`: a lookup by primary key reads the same whether a relation led to it
 * (`wrap(track.album).init()`) or not (`em.findOne(Track, id)`); the EntityManager knows: the entity
 * is then already in its identity map (see isKnownEntity). Asked only inside profile() scopes.
 * Returns the undo.
 */
function hookFindOne(em: ProfiledEntityManager): () => void {
  const driver = em.getDriver?.() as { findOne?: FindOne } | undefined;
  const originalFindOne = driver?.findOne;
  if (driver === undefined || typeof originalFindOne !== 'function') {
    return () => {};
  }
  const findOne: FindOne = function (this: unknown, entityName, where, options) {
    const scope = scopeSinks.getStore();
    if (scope !== undefined && scope !== UNPROFILED && isKnownEntity(options?.em, entityName, where, options?.schema)) {
      return referenceLoads.run(true, () => originalFindOne.call(this, entityName, where, options));
    }
    return originalFindOne.call(this, entityName, where, options);
  };
  driver.findOne = findOne;
  return () => {
    if (driver.findOne === findOne) {
      driver.findOne = originalFindOne;
    }
  };
}

/** What the logger hands `logQuery`. */
type LoggedQuery = Parameters<ReturnType<Configuration['getLogger']>['logQuery']>[0];

/**
 * One instrumented ORM: its settings, the starts of its queries in flight, its SQL texts, and the two
 * steps of a query — started (`onQuery`) and logged (`logQuery`: timed, counted by the recorders, and
 * built into a `QueryEvent` for the scopes and sinks when one of them wants it).
 */
class OrmCapture {
  readonly texts = new SqlTextTable(MAX_SAMPLED_SQL);
  readonly #starts = new QueryStarts();
  readonly #dialect: QueryEvent['dialect'];
  readonly #metadata: MetadataStorage;
  readonly #runUnprofiled: PlanRunner;
  #untracked = 0;

  constructor(
    readonly em: ProfiledEntityManager,
    readonly settings: InstrumentOptions,
  ) {
    this.#dialect = dialectOf(em.getPlatform());
    this.#metadata = em.getMetadata();
    // EXPLAIN and its helper queries run on the read connection, never captured themselves.
    this.#runUnprofiled = (sql, params) =>
      scopeSinks.run(UNPROFILED, () => (em.getConnection('read') as ExecutingConnection).execute(sql, params));
  }

  /** A query is about to be sent: its start time, text and (inside scopes, or sampled) call stack. */
  queryStarting(sql: string, params: readonly unknown[]): void {
    const scope = scopeSinks.getStore();
    if (!capturesIn(scope)) {
      return;
    }
    const at = performance.now();
    const text = this.texts.intern(sql);
    const stack =
      scope !== undefined || this.#wantsSampledStack(text)
        ? CallStack.capture(this.settings.stackDepth ?? 30)
        : undefined;
    this.#starts.add(params, at, text, stack);
  }

  /** A query's result is in: counts it, and hands its event to whoever wants one. */
  queryLogged(context: LoggedQuery): void {
    const scope = scopeSinks.getStore();
    if (!capturesIn(scope)) {
      return;
    }
    const end = performance.now();
    const logged = typeof context.query === 'string' ? context.query : String(context.query ?? '');
    const params = (context.params ?? NO_PARAMS) as readonly unknown[];
    const starts = this.#starts;
    starts.take(params);
    const startAt = starts.takenAt;
    const stack = starts.takenStack;
    // The text's record when the logger got what onQuery saw (almost always): its kept string, its
    // kind found once, and the recorders' slot.
    const text =
      starts.takenText !== undefined && starts.takenText.sql === logged ? starts.takenText : untrackedSqlText(logged);
    starts.clearTaken();
    const durationMs = startAt !== undefined ? end - startAt : (context.took ?? 0);
    const rows = rowsOf(context as Dictionary);
    const failed = context.level === 'error';
    // The always-on path: recorders count the query from these primitives, and the event is built only
    // when one of them keeps it whole (slow, sampled, a new shape), or a scope or a sink takes every event.
    const recorders = globalRecorders;
    const kept = this.#record(recorders, text, durationMs, rows, failed, stack !== undefined && scope === undefined);
    if (!kept && scope === undefined && globalSinks.length === 0) {
      return;
    }
    const event = this.#event(text, params, durationMs, rows, failed, startAt ?? end, stack, scope, context);
    dispatch(event, recorders, scope);
  }

  /** Counts the query in every always-on recorder; whether one of them wants its whole event. */
  #record(
    recorders: readonly QueryRecorder[],
    text: SqlText,
    durationMs: number,
    rows: number | undefined,
    failed: boolean,
    sampled: boolean,
  ): boolean {
    let wanted = false;
    for (let i = 0; i < recorders.length; i++) {
      if ((recorders[i] as QueryRecorder).record(text, this.#dialect, durationMs, rows, failed, sampled)) {
        wanted = true;
      }
    }
    return wanted;
  }

  #event(
    text: SqlText,
    params: readonly unknown[],
    durationMs: number,
    rows: number | undefined,
    failed: boolean,
    startedAt: number,
    stack: CallStack | undefined,
    scope: readonly QuerySink[] | undefined,
    context: LoggedQuery,
  ): CapturedQuery {
    const kind = text.kind;
    const dialect = this.#dialect;
    return new CapturedQuery(
      text.sql,
      (this.settings.redactParams ?? false) ? params.map(() => '[redacted]') : params,
      kind,
      durationMs,
      rows,
      connectionOf(context.connection),
      TransactionContext.getEntityManager(this.em.name)?.isInTransaction() ?? false,
      currentOperation(),
      currentBatch(),
      scope !== undefined && referenceLoads.getStore() === true,
      failed,
      startedAt,
      stack,
      dialect,
      this.#metadata,
      dialect === 'generic' || kind === 'transaction' ? undefined : this.#runUnprofiled,
      params,
    );
  }

  /**
   * Outside scopes: the first `sampledStacks` queries of each SQL text, then one in `stackSampleRate`
   * (texts too long to be kept: one in `stackSampleRate` of them all).
   */
  #wantsSampledStack(text: SqlText | undefined): boolean {
    const rate = this.settings.stackSampleRate ?? 1024;
    if (text === undefined) {
      return ++this.#untracked % rate === 0;
    }
    return text.count <= (this.settings.sampledStacks ?? 3) || text.count % rate === 0;
  }
}

/** Hands a captured query to the recorders (which asked for it, or ignore it), the scopes and the global sinks. */
function dispatch(
  event: CapturedQuery,
  recorders: readonly QueryRecorder[],
  scope: readonly QuerySink[] | undefined,
): void {
  for (let i = 0; i < recorders.length; i++) {
    (recorders[i] as QueryRecorder).receive(event);
  }
  if (scope !== undefined) {
    for (const sink of scope) {
      sink(event);
    }
  }
  for (let i = 0; i < globalSinks.length; i++) {
    (globalSinks[i] as QuerySink)(event);
  }
}

/**
 * Undoes {@link instrument}: MikroORM's `onQuery` hook and logger are put back as they were, and the
 * ORM's queries are no longer captured. Does nothing for an ORM that is not instrumented.
 *
 * @example
 * ```ts
 * instrument(orm);
 * const report = await profile(() => orm.em.fork().find(Track, { album: 1 }));
 * uninstrument(orm); // e.g. in a test's afterAll, or to compare with and without the profiler
 * ```
 */
export function uninstrument(orm: ProfiledOrm): void {
  const config = ('em' in orm ? orm.em : orm).config;
  const installed = instrumented.get(config);
  if (installed === undefined) {
    return;
  }
  installed.remove();
  instrumented.delete(config);
  if (--instrumentedOrms === 0) {
    const current = setBatchCallerTracer(replacedTracer);
    if (current !== traceCaller) {
      setBatchCallerTracer(current); // someone installed another tracer since: leave theirs
    }
    replacedTracer = undefined;
  }
}

/**
 * Runs `fn` with `sink` receiving the queries it sends (and those of everything it awaits), in
 * addition to the sinks of enclosing scopes.
 */
export function withQuerySink<T>(sink: QuerySink, fn: () => T): T {
  const outer = scopeSinks.getStore();
  if (outer === UNPROFILED) {
    return fn();
  }
  return scopeSinks.run([...(outer ?? []), sink], fn);
}

/** Registers a sink for every query of every instrumented ORM; returns the function that removes it. */
export function addGlobalQuerySink(sink: QuerySink): () => void {
  globalSinks = [...globalSinks, sink];
  let removed = false;
  return () => {
    // One registration, one removal: a sink added twice receives each query twice until both go.
    const index = removed ? -1 : globalSinks.indexOf(sink);
    removed = true;
    if (index >= 0) {
      globalSinks = [...globalSinks.slice(0, index), ...globalSinks.slice(index + 1)];
    }
  };
}

/**
 * Registers a recorder for every query of every instrumented ORM (see {@link QueryRecorder}); returns
 * the function that removes it, and empties the slots it held in the ORMs' SQL text tables.
 */
export function addGlobalQueryRecorder(recorder: QueryRecorder): () => void {
  globalRecorders = [...globalRecorders, recorder];
  let removed = false;
  return () => {
    if (removed) {
      return;
    }
    removed = true;
    globalRecorders = globalRecorders.filter((known) => known !== recorder);
    for (const table of textTables) {
      table.forget(recorder);
    }
  };
}

/** Whether `instrument()` was called for at least one ORM (a profile of none sees nothing). */
export function anyInstrumented(): boolean {
  return instrumentedOrms > 0;
}

/** Whether `instrument(orm)` was called for this ORM. */
export function isInstrumented(orm: ProfiledOrm): boolean {
  return instrumented.has(('em' in orm ? orm.em : orm).config);
}

/** Whether a query sent in the scope `scope` (the store of `scopeSinks`) is captured: one store read per hook. */
function capturesIn(scope: readonly QuerySink[] | undefined): boolean {
  return scope === undefined ? globalSinks.length > 0 || globalRecorders.length > 0 : scope !== UNPROFILED;
}

/**
 * Whether `em` already knows the entity `where` names (never throws): an uninitialized reference
 * (a loaded row points to it), or an entity `wrap(entity).init()` reloads. A plain `em.findOne(T, id)`
 * of an entity in the identity map sends no query at all, so the query of one that knows it comes
 * from a relation being resolved (or an explicit refresh).
 */
function isKnownEntity(em: unknown, entityName: unknown, where: unknown, schema: string | undefined): boolean {
  try {
    const unitOfWork = (
      em as { getUnitOfWork?(): { tryGetById(...args: unknown[]): object | null } } | undefined
    )?.getUnitOfWork?.();
    return unitOfWork?.tryGetById(entityName, where, schema) != null;
  } catch {
    return false;
  }
}

function dialectOf(platform: unknown): QueryEvent['dialect'] {
  if (platform instanceof BasePostgreSqlPlatform) return 'postgresql';
  if (platform instanceof SqlitePlatform) return 'sqlite';
  return 'generic';
}

function rowsOf(context: Dictionary): number | undefined {
  if (typeof context.results === 'number') return context.results;
  if (typeof context.affected === 'number') return context.affected;
  return undefined;
}

const DEFAULT_CONNECTION: QueryConnection = Object.freeze({ type: 'write', name: '' });
/** The labels seen so far: a handful per ORM (primary, replicas), scanned instead of hashed. */
const connections: QueryConnection[] = [];
const MAX_CONNECTIONS = 64;

/**
 * The connection label of a query: one frozen object per distinct label. MikroORM builds a new label
 * object for every query, so it is matched by its two strings (the same string objects every time).
 */
function connectionOf(connection: unknown): QueryConnection {
  if (typeof connection !== 'object' || connection === null) {
    return DEFAULT_CONNECTION;
  }
  const label = connection as { type?: unknown; name?: unknown };
  const type = label.type === 'read' ? 'read' : 'write';
  const name = typeof label.name === 'string' ? label.name : String(label.name ?? '');
  for (const known of connections) {
    if (known.name === name && known.type === type) return known;
  }
  const known: QueryConnection = Object.freeze({ type, name });
  if (connections.length < MAX_CONNECTIONS) connections.push(known);
  return known;
}
