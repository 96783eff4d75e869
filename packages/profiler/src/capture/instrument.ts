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

/** A query's start while it runs: when, its SQL text's record, and its call stack if one was captured. */
interface Start {
  readonly at: number;
  readonly text: SqlText | undefined;
  readonly stack: CallStack | undefined;
}

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
  if (instrumented.has(config)) {
    // Settings are one object per ORM, read by the hooks on every query: update it in place.
    Object.assign((instrumented.get(config) as Installed).settings, options);
    callerStackDepth = options.stackDepth ?? callerStackDepth;
    return;
  }
  const settings: InstrumentOptions = { ...options };
  callerStackDepth = options.stackDepth ?? callerStackDepth;
  const dialect = dialectOf(em.getPlatform());
  const metadata = em.getMetadata();
  // A query's start, keyed by its params array: MikroORM hands the same array to onQuery and to the
  // logger. The common case, one query in flight at a time, uses one slot (no hashing, no allocation);
  // the slot is used only while no start waits in the WeakMap, so it always holds the oldest start
  // (first in, first out for a params array sent twice at once). A start whose query never reaches the
  // logger (formatting threw) only sends later queries through the WeakMap: slower, never wrong.
  let slotParams: object | undefined;
  let slotAt = 0;
  let slotText: SqlText | undefined;
  let slotStack: CallStack | undefined;
  const starts = new WeakMap<object, Start | Start[]>();
  let waiting = 0;
  // What takeStart() found: three variables rather than an object, so the common path allocates nothing.
  let takenAt: number | undefined;
  let takenText: SqlText | undefined;
  let takenStack: CallStack | undefined;
  const texts = new SqlTextTable(MAX_SAMPLED_SQL);
  textTables.add(texts);
  let untracked = 0;

  const previousOnQuery = config.get('onQuery');
  const onQuery = (sql: string, params: readonly unknown[]) => {
    const scope = scopeSinks.getStore();
    if (capturesIn(scope)) {
      const at = performance.now();
      const text = texts.intern(sql);
      const stack =
        scope !== undefined || wantsSampledStack(text) ? CallStack.capture(settings.stackDepth ?? 30) : undefined;
      if (slotParams === undefined && waiting === 0) {
        slotParams = params;
        slotAt = at;
        slotText = text;
        slotStack = stack;
      } else {
        const start: Start = { at, text, stack };
        const pending = starts.get(params);
        starts.set(
          params,
          pending === undefined ? start : Array.isArray(pending) ? [...pending, start] : [pending, start],
        );
        waiting++;
      }
    }
    return previousOnQuery(sql, params);
  };
  config.set('onQuery', onQuery);

  /** Takes the start `onQuery` recorded for `params` (the oldest first) into `taken*`; `takenAt` is undefined if none. */
  function takeStart(params: object): void {
    if (params === slotParams) {
      slotParams = undefined;
      takenAt = slotAt;
      takenText = slotText;
      takenStack = slotStack;
      slotText = undefined;
      slotStack = undefined;
      return;
    }
    const pending = starts.get(params);
    let start: Start | undefined;
    if (pending !== undefined) {
      waiting--;
      if (!Array.isArray(pending)) {
        starts.delete(params);
        start = pending;
      } else {
        start = pending.shift();
        if (pending.length === 0) starts.delete(params);
      }
    }
    takenAt = start?.at;
    takenText = start?.text;
    takenStack = start?.stack;
  }

  /**
   * Outside scopes: the first `sampledStacks` queries of each SQL text, then one in `stackSampleRate`
   * (texts too long to be kept: one in `stackSampleRate` of them all).
   */
  function wantsSampledStack(text: SqlText | undefined): boolean {
    const rate = settings.stackSampleRate ?? 1024;
    if (text === undefined) {
      return ++untracked % rate === 0;
    }
    return text.count <= (settings.sampledStacks ?? 3) || text.count % rate === 0;
  }

  // EXPLAIN and its helper queries run on the read connection, never captured themselves.
  const runUnprofiled: PlanRunner = (sql, params) =>
    scopeSinks.run(UNPROFILED, () => (em.getConnection('read') as ExecutingConnection).execute(sql, params));

  const logger = config.getLogger();
  const originalLogQuery = logger.logQuery;
  const logQuery = originalLogQuery.bind(logger);
  const capturingLogQuery: typeof logger.logQuery = (context) => {
    logQuery(context);
    const scope = scopeSinks.getStore();
    if (!capturesIn(scope)) {
      return;
    }
    const end = performance.now();
    const logged = typeof context.query === 'string' ? context.query : String(context.query ?? '');
    const params = (context.params ?? NO_PARAMS) as readonly unknown[];
    takeStart(params);
    const startAt = takenAt;
    const stack = takenStack;
    // The text's record when the logger got what onQuery saw (almost always): its kept string, its
    // kind found once, and the recorders' slot.
    const text = takenText !== undefined && takenText.sql === logged ? takenText : untrackedSqlText(logged);
    takenText = undefined;
    takenStack = undefined;
    const durationMs = startAt !== undefined ? end - startAt : (context.took ?? 0);
    const rows = rowsOf(context as Dictionary);
    const failed = context.level === 'error';
    // The always-on path: recorders count the query from these primitives, and the event is built only
    // when one of them keeps it whole (slow, sampled, a new shape), or a scope or a sink takes every event.
    let build = scope !== undefined || globalSinks.length > 0;
    const recorders = globalRecorders;
    for (let i = 0; i < recorders.length; i++) {
      if (
        (recorders[i] as QueryRecorder).record(
          text,
          dialect,
          durationMs,
          rows,
          failed,
          stack !== undefined && scope === undefined,
        )
      ) {
        build = true;
      }
    }
    if (!build) {
      return;
    }
    const kind = text.kind;
    const event = new CapturedQuery(
      text.sql,
      (settings.redactParams ?? false) ? params.map(() => '[redacted]') : params,
      kind,
      durationMs,
      rows,
      connectionOf(context.connection),
      TransactionContext.getEntityManager(em.name)?.isInTransaction() ?? false,
      currentOperation(),
      currentBatch(),
      scope !== undefined && referenceLoads.getStore() === true,
      failed,
      startAt ?? end,
      stack,
      dialect,
      metadata,
      dialect === 'generic' || kind === 'transaction' ? undefined : runUnprofiled,
      params,
    );
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
  };
  logger.logQuery = capturingLogQuery;

  // A lookup by primary key reads the same whether a relation led to it (`wrap(track.album).init()`)
  // or not (`em.findOne(Track, id)`); the EntityManager knows: the entity is then already in its
  // identity map (see isKnownEntity). Asked only inside profile() scopes.
  const driver = em.getDriver?.() as { findOne?: FindOne } | undefined;
  const originalFindOne = driver?.findOne;
  const findOne: FindOne = function (this: unknown, entityName, where, options) {
    const scope = scopeSinks.getStore();
    if (scope !== undefined && scope !== UNPROFILED && isKnownEntity(options?.em, entityName, where, options?.schema)) {
      return referenceLoads.run(true, () => (originalFindOne as FindOne).call(this, entityName, where, options));
    }
    return (originalFindOne as FindOne).call(this, entityName, where, options);
  };
  if (driver !== undefined && typeof originalFindOne === 'function') {
    driver.findOne = findOne;
  }

  instrumented.set(config, {
    settings,
    remove: () => {
      textTables.delete(texts);
      if (config.get('onQuery') === onQuery) {
        config.set('onQuery', previousOnQuery);
      }
      if (logger.logQuery === capturingLogQuery) {
        // Assigned back, never deleted: the logger keeps its own `logQuery` property, so its hidden
        // class (which MikroORM's optimized code was built for) does not change with every
        // instrument/uninstrument cycle. It behaves exactly as the logger's own method.
        logger.logQuery = originalLogQuery;
      }
      if (driver !== undefined && driver.findOne === findOne) {
        driver.findOne = originalFindOne;
      }
    },
  });
  if (instrumentedOrms++ === 0) {
    replacedTracer = setBatchCallerTracer(traceCaller);
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
