import { type EntityMetadata, type EntityProperty, ReferenceKind } from '@mikro-orm/core';
import type { StratumBatch } from '@stratum/core/internal';
import { CallStack } from '../capture/call-stack.js';
import type { QueryEvent } from '../capture/query-event.js';
import { type Fingerprint, fingerprintSql } from '../fingerprint/fingerprint.js';

/** Options of the N+1 detector. */
export interface NPlusOneOptions {
  /** Repetitions of one query shape from one call stack that make an N+1. @default 2 */
  threshold?: number;
  /** Fingerprints (ids or normalized SQL) or call-site substrings never reported. */
  allow?: readonly (string | RegExp)[];
}

/**
 * What a finding is:
 * - `relation`: a relation loaded one row at a time (`album.tracks.init()`, `loadCount()`,
 *   `wrap(track.album).init()` per row); `relation` names it.
 * - `primary-key`: rows looked up one at a time by primary key that no relation led to
 *   (`em.findOne(Track, id)` in a loop); `entity` names the entity.
 * - `one-key-batches`: a Stratum loader (or `@Batched` method) awaited once per iteration, so each
 *   of its batches holds one key; `loader` names it.
 * - `query`: the same query shape from the same call stack, cause unknown.
 */
export type NPlusOneKind = 'relation' | 'primary-key' | 'one-key-batches' | 'query';

/**
 * One N+1: the same query shape sent again and again from the same call stack — a loop that loads
 * a relation one row at a time — or a batching loader asked for one key at a time from one place.
 */
export interface NPlusOneFinding {
  readonly kind: NPlusOneKind;
  readonly fingerprint: string;
  readonly normalized: string;
  /** How many times the scope sent it from this stack (for `one-key-batches`: how many batches). */
  readonly count: number;
  /** The innermost app frame: the loop (for `one-key-batches`: where `load(key)` was called). */
  readonly callSite: string | undefined;
  /** The app frames of the stack, innermost first. */
  readonly stack: readonly string[];
  /** The relation loaded one row at a time, e.g. `Album.tracks`, when it can be told. */
  readonly relation: string | undefined;
  /** The entity whose rows are loaded one at a time, e.g. `Track`, when it can be told. */
  readonly entity: string | undefined;
  /** For `one-key-batches`: the Stratum batch's name, e.g. `entity:Track` (see `StratumBatch.loader`). */
  readonly loader: string | undefined;
  /** How to load it in one query instead. */
  readonly suggestion: string;
  /** One sentence saying all of the above. */
  readonly message: string;
  readonly examples: readonly QueryEvent[];
}

/**
 * The prosopite rule: among the reads of a scope, a query shape (fingerprint) sent `threshold` or
 * more times from the same call stack is an N+1. Each finding names the relation when the SQL and
 * the entity metadata tell it (`where <fk> = ?` on a child table: a collection per parent; `where <pk>
 * = ?` resolving a reference: a reference per child) and suggests `populate` or the Stratum loader
 * that batches it (`loaders(em).collection(Album, 'tracks')`, `loaders(em).entity(Album)`); a lookup by
 * primary key no relation led to (`em.findOne(Track, id)` per id) is said to be one, with `findByIds`.
 *
 * The queries of a Stratum batch (`query.batch`: loaders, `@Batched`, a stream's pages) are never
 * counted by that rule: a batch is one query for many callers, even when a tree's levels run the same
 * loader from the same stack. A batch of **one** key is the exception when `threshold` or more of
 * them come from the same loader and the same caller (where `load(key)` was called, not the loader's
 * dispatch): the loader is awaited inside a loop.
 *
 * @example
 * ```ts
 * const findings = detectNPlusOne(report.queries, { threshold: 3, allow: [/legacy-report\.ts/] });
 * for (const finding of findings) console.warn(finding.message);
 * ```
 */
export function detectNPlusOne(events: readonly QueryEvent[], options: NPlusOneOptions = {}): NPlusOneFinding[] {
  const threshold = options.threshold ?? 2;
  const allow = options.allow ?? [];
  const groups = new Map<string, QueryEvent[]>();
  const oneKeyBatches = new Map<string, { caller: CallStack; batches: Set<StratumBatch>; events: QueryEvent[] }>();
  for (const event of events) {
    if (event.kind !== 'select') {
      continue;
    }
    const batch = event.batch;
    if (batch !== undefined) {
      const caller = batch.keys === 1 ? batch.callers?.[0] : undefined;
      if (caller instanceof CallStack && caller.appFrames.length > 0) {
        const key = `${batch.loader}\n${caller.lineKey}`;
        const group = oneKeyBatches.get(key) ?? { caller, batches: new Set(), events: [] };
        group.batches.add(batch);
        group.events.push(event);
        oneKeyBatches.set(key, group);
      }
      continue;
    }
    if (!event.stack) {
      continue;
    }
    const key = `${fingerprintSql(event.sql, event.dialect).id}\n${event.stack.key}`;
    const group = groups.get(key) ?? [];
    group.push(event);
    groups.set(key, group);
  }
  const findings: NPlusOneFinding[] = [];
  for (const group of groups.values()) {
    if (group.length < threshold) {
      continue;
    }
    const first = group[0] as QueryEvent;
    const fingerprint = fingerprintSql(first.sql, first.dialect);
    const stack = first.stack?.appFrames ?? [];
    if (!isAllowed(allow, fingerprint.id, fingerprint.normalized, stack)) {
      findings.push(repeatedQuery(group, fingerprint, stack));
    }
  }
  for (const { caller, batches, events: batchEvents } of oneKeyBatches.values()) {
    if (batches.size < threshold) {
      continue;
    }
    const first = batchEvents[0] as QueryEvent;
    const fingerprint = fingerprintSql(first.sql, first.dialect);
    if (!isAllowed(allow, fingerprint.id, fingerprint.normalized, caller.appFrames)) {
      findings.push(oneKeyBatchFinding(first.batch as StratumBatch, batches.size, batchEvents, fingerprint, caller));
    }
  }
  return findings.sort((a, b) => b.count - a.count);
}

/** A query shape sent `group.length` times from one stack: a relation, a lookup by key, or unknown. */
function repeatedQuery(
  group: readonly QueryEvent[],
  fingerprint: Fingerprint,
  stack: readonly string[],
): NPlusOneFinding {
  const first = group[0] as QueryEvent;
  const count = group.length;
  const from = stack[0] ?? 'an unknown call site';
  const cause = causeOf(
    first,
    fingerprint.normalized,
    fingerprint.tables[0],
    group.some((e) => e.resolvesReference),
  );
  const base = {
    fingerprint: fingerprint.id,
    normalized: fingerprint.normalized,
    count,
    callSite: stack[0],
    stack,
    loader: undefined,
    examples: group.slice(0, 3),
  };
  const repeated = `${count} × "${fingerprint.normalized}" from ${from}`;
  if (cause?.kind === 'relation') {
    const counts = /^select count\(/.test(fingerprint.normalized);
    const suggestion = counts
      ? `count them for all rows at once: Stratum's loader ${cause.counter} (one grouped query)`
      : `load ${cause.name} for all rows at once: populate: ['${cause.populate}'] on the query that loads the ${cause.owner} rows, or Stratum's loader ${cause.loader}`;
    return {
      ...base,
      kind: 'relation',
      relation: cause.name,
      entity: cause.entity,
      suggestion,
      message: `${repeated} ${counts ? 'counts' : 'loads'} ${cause.name} one row at a time; ${suggestion}.`,
    };
  }
  if (cause?.kind === 'primary-key') {
    const suggestion =
      `load them in one query: em.getRepository(${cause.entity}).findByIds(ids) (a Stratum BaseRepository), ` +
      `em.find(${cause.entity}, { ${cause.key}: { $in: ids } }), or Stratum's loader loaders(em).entity(${cause.entity}).load(id) for every id before awaiting any`;
    return {
      ...base,
      kind: 'primary-key',
      relation: undefined,
      entity: cause.entity,
      suggestion,
      message: `${repeated} looks up ${cause.entity} rows ${cause.inList ? 'a few at a time' : 'one at a time'} by primary key (no relation led to them); ${suggestion}.`,
    };
  }
  const suggestion =
    "load these rows for all parents in one query: populate, or a Stratum loader keyed by the repeated parameter (loaderFor(repository, 'findManyBy...'))";
  return {
    ...base,
    kind: 'query',
    relation: undefined,
    entity: undefined,
    suggestion,
    message: `${repeated}; ${suggestion}.`,
  };
}

/** `count` batches of one key each, from the same loader and the same caller. */
function oneKeyBatchFinding(
  batch: StratumBatch,
  count: number,
  events: readonly QueryEvent[],
  fingerprint: Fingerprint,
  caller: CallStack,
): NPlusOneFinding {
  const { label, relation, entity } = describeLoader(batch.loader);
  const suggestion =
    'ask for every key before awaiting any, so that they go in one batch (one query): ' +
    'await Promise.all(keys.map((key) => loader.load(key))), or loader.loadMany(keys)';
  const stack = caller.appFrames;
  return {
    kind: 'one-key-batches',
    fingerprint: fingerprint.id,
    normalized: fingerprint.normalized,
    count,
    callSite: stack[0],
    stack,
    relation,
    entity,
    loader: batch.loader,
    suggestion,
    message:
      `${count} batches of one key each from ${label}, asked for at ${stack[0]}: each load is awaited before ` +
      `the next is asked for ("${fingerprint.normalized}" per key); ${suggestion}.`,
    examples: events.slice(0, 3),
  };
}

/** `entity:Track` → `loaders(em).entity(Track)`; `@Batched` batches keep their method's name. */
function describeLoader(loader: string): { label: string; relation?: string; entity?: string } {
  const [, type, rest = ''] = /^(entity|collection|count|custom):(.*)$/.exec(loader) ?? [];
  if (type === 'entity') {
    return { label: `loaders(em).entity(${rest})`, entity: rest };
  }
  if (type === 'collection' || type === 'count') {
    const dot = rest.indexOf('.');
    return { label: `loaders(em).${type}(${rest.slice(0, dot)}, '${rest.slice(dot + 1)}')`, relation: rest };
  }
  if (type === 'custom') {
    return { label: `loaders(em).custom('${rest}', ...)` };
  }
  return { label: `the batched ${loader}` };
}

function isAllowed(
  allow: readonly (string | RegExp)[],
  id: string,
  normalized: string,
  stack: readonly string[],
): boolean {
  return allow.some((rule) =>
    typeof rule === 'string'
      ? rule === id || rule === normalized || stack.some((frame) => frame.includes(rule))
      : rule.test(normalized) || stack.some((frame) => rule.test(frame)),
  );
}

const FILTER_COLUMN = /\bwhere\s+(?:[\w$]+\.)?([\w$]+)\s*(?:=\s*\?|in\s*\()/;

/** A relation loaded per row, as named by the metadata, with the ways to batch it. */
interface RelationCause {
  readonly kind: 'relation';
  readonly name: string;
  readonly populate: string;
  readonly owner: string;
  readonly loader: string;
  /** The count loader of a collection (for `select count(*)` per row). */
  readonly counter: string;
  /** The entity whose rows the query loads. */
  readonly entity: string;
}

/** Rows looked up by primary key with no relation behind it. */
interface PrimaryKeyCause {
  readonly kind: 'primary-key';
  readonly entity: string;
  readonly key: string;
  /** `where <pk> in (...)` rather than `= ?`. */
  readonly inList: boolean;
}

/**
 * Why `select ... from <table> where <column> = ?` was sent per row, from the entity metadata: a
 * collection per parent (`column` a foreign key), a reference per child (the primary key, when the
 * EntityManager was resolving a reference), or a lookup by primary key.
 */
function causeOf(
  event: QueryEvent,
  normalized: string,
  table: string | undefined,
  resolvesReference: boolean,
): RelationCause | PrimaryKeyCause | undefined {
  const filter = FILTER_COLUMN.exec(normalized);
  const column = filter?.[1];
  if (!table || !filter || !column) {
    return undefined;
  }
  const metas = [...event.metadata] as EntityMetadata[];
  const meta = metas.find((m) => m.tableName === table || m.tableName === table.split('.').pop());
  const prop = meta?.props.find((p) => p.fieldNames?.length === 1 && p.fieldNames[0] === column);
  if (!meta || !prop) {
    return undefined;
  }
  if (prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)) {
    // Children by their parent's key: the parent's collection, loaded per parent.
    const parent = prop.targetMeta;
    const inverse = parent?.props.find(
      (p: EntityProperty) =>
        (p.kind === ReferenceKind.ONE_TO_MANY &&
          p.mappedBy === prop.name &&
          p.targetMeta?.className === meta.className) ||
        (p.kind === ReferenceKind.MANY_TO_MANY && classNameOf(p.pivotEntity) === meta.className),
    );
    if (parent && inverse) {
      const parentVar = lowerFirst(parent.className);
      return {
        kind: 'relation',
        name: `${parent.className}.${inverse.name}`,
        populate: inverse.name,
        owner: parent.className,
        loader: `loaders(em).collection(${parent.className}, '${inverse.name}').load(${parentVar})`,
        counter: `loaders(em).count(${parent.className}, '${inverse.name}').load(${parentVar})`,
        entity: meta.className,
      };
    }
    return {
      kind: 'relation',
      name: `${meta.className}.${prop.name}`,
      populate: prop.name,
      owner: meta.className,
      loader: `loaderFor(repository, 'findManyBy${upperFirst(prop.name)}', { key: '${prop.name}', many: true })`,
      counter: `loaders(em).custom('countBy${upperFirst(prop.name)}', ...) over repository.countBy('${prop.name}')`,
      entity: meta.className,
    };
  }
  if (!prop.primary) {
    return undefined;
  }
  // One row by its key each time: a reference (many-to-one) resolved per child, when the
  // EntityManager was resolving one; a lookup by key otherwise.
  const referrers = resolvesReference
    ? metas.flatMap((m) =>
        m.props
          .filter((p) => p.kind === ReferenceKind.MANY_TO_ONE && p.targetMeta?.className === meta.className)
          .map((p) => ({ owner: m.className, name: p.name })),
      )
    : [];
  const first = referrers[0];
  if (first === undefined) {
    return { kind: 'primary-key', entity: meta.className, key: prop.name, inList: !filter[0].endsWith('?') };
  }
  return {
    kind: 'relation',
    name: referrers.map((r) => `${r.owner}.${r.name}`).join(' or '),
    populate: first.name,
    owner: first.owner,
    loader: `loaders(em).entity(${meta.className}).load(${lowerFirst(first.owner)}.${first.name}.id)`,
    counter: `loaders(em).entity(${meta.className})`,
    entity: meta.className,
  };
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function classNameOf(entity: unknown): string | undefined {
  return typeof entity === 'function' ? entity.name : entity === undefined ? undefined : String(entity);
}
