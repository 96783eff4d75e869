import { type EntityMetadata, type EntityProperty, ReferenceKind } from '@mikro-orm/core';
import type { QueryEvent } from '../capture/query-event.js';
import { fingerprintSql } from '../fingerprint/fingerprint.js';

/** Options of the N+1 detector. */
export interface NPlusOneOptions {
  /** Repetitions of one query shape from one call stack that make an N+1. @default 2 */
  threshold?: number;
  /** Fingerprints (ids or normalized SQL) or call-site substrings never reported. */
  allow?: readonly (string | RegExp)[];
}

/**
 * One N+1: the same query shape sent again and again from the same call stack — a loop that loads
 * a relation one row at a time.
 */
export interface NPlusOneFinding {
  readonly fingerprint: string;
  readonly normalized: string;
  /** How many times the scope sent it from this stack. */
  readonly count: number;
  /** The innermost app frame: the loop. */
  readonly callSite: string | undefined;
  /** The app frames of the stack, innermost first. */
  readonly stack: readonly string[];
  /** The relation loaded one row at a time, e.g. `Album.tracks`, when it can be told. */
  readonly relation: string | undefined;
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
 * = ?`: a reference per child) and suggests `populate` or the Stratum loader that batches it
 * (`loaders(em).collection(Album, 'tracks')`, `loaders(em).entity(Album)`).
 *
 * @example
 * ```ts
 * const findings = detectNPlusOne(report.queries, { threshold: 3, allow: [/legacy-report\.ts/] });
 * for (const finding of findings) console.warn(finding.message);
 * ```
 */
export function detectNPlusOne(events: readonly QueryEvent[], options: NPlusOneOptions = {}): NPlusOneFinding[] {
  const threshold = options.threshold ?? 2;
  const groups = new Map<string, QueryEvent[]>();
  for (const event of events) {
    // A Stratum batch (loader, @Batched) is one query for many callers: the fix for N+1, not one,
    // even when a tree's levels run the same loader from the same stack.
    if (event.kind !== 'select' || !event.stack || event.batch !== undefined) {
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
    if (isAllowed(options.allow ?? [], fingerprint.id, fingerprint.normalized, stack)) {
      continue;
    }
    const relation = relationOf(first, fingerprint.normalized, fingerprint.tables[0]);
    const suggestion = relation
      ? `load ${relation.name} for all rows at once: populate: ['${relation.populate}'] on the query that loads the ${relation.owner} rows, or Stratum's loader ${relation.loader}`
      : "load these rows for all parents in one query: populate, or a Stratum loader keyed by the repeated parameter (loaderFor(repository, 'findManyBy...'))";
    const callSite = stack[0];
    findings.push({
      fingerprint: fingerprint.id,
      normalized: fingerprint.normalized,
      count: group.length,
      callSite,
      stack,
      relation: relation?.name,
      suggestion,
      message:
        `${group.length} × "${fingerprint.normalized}" from ${callSite ?? 'an unknown call site'}` +
        `${relation ? ` loads ${relation.name} one row at a time` : ''}; ${suggestion}.`,
      examples: group.slice(0, 3),
    });
  }
  return findings.sort((a, b) => b.count - a.count);
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

/** Names the relation behind `select ... from <table> where <column> = ?` with the entity metadata. */
function relationOf(
  event: QueryEvent,
  normalized: string,
  table: string | undefined,
): { name: string; populate: string; owner: string; loader: string } | undefined {
  const column = FILTER_COLUMN.exec(normalized)?.[1];
  if (!table || !column) {
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
      return {
        name: `${parent.className}.${inverse.name}`,
        populate: inverse.name,
        owner: parent.className,
        loader: `loaders(em).collection(${parent.className}, '${inverse.name}').load(${lowerFirst(parent.className)})`,
      };
    }
    return {
      name: `${meta.className}.${prop.name}`,
      populate: prop.name,
      owner: meta.className,
      loader: `loaderFor(repository, 'findManyBy${upperFirst(prop.name)}', { key: '${prop.name}', many: true })`,
    };
  }
  if (prop.primary) {
    // One row by its key each time: a reference (many-to-one) resolved per child.
    const referrers = metas.flatMap((m) =>
      m.props
        .filter((p) => p.kind === ReferenceKind.MANY_TO_ONE && p.targetMeta?.className === meta.className)
        .map((p) => ({ owner: m.className, name: p.name })),
    );
    if (referrers.length > 0) {
      const names = referrers.map((r) => `${r.owner}.${r.name}`).join(' or ');
      const first = referrers[0] as { owner: string; name: string };
      return {
        name: names,
        populate: first.name,
        owner: first.owner,
        loader: `loaders(em).entity(${meta.className}).load(${lowerFirst(first.owner)}.${first.name}.id)`,
      };
    }
  }
  return undefined;
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
