import type { WorkloadStatement } from '../input/workload-input.js';
import type {
  AnalyzedQuery,
  KeyPart,
  Predicate,
  PredicateKind,
  SortKey,
  TableUsage,
  UnparsedStatement,
  WorkloadAnalysis,
} from './query-shape.js';
import { keyPartText } from './query-shape.js';
import { renderConst, renderExpression, UnrenderableExpression, unwrap } from './render-expression.js';

type Node = Record<string, unknown>;

interface PgParser {
  parseSync(sql: string): { stmts?: { stmt: unknown }[] };
}

let parser: PgParser | undefined;

/** Loads libpg-query (PostgreSQL's own parser, WASM) once per process. */
async function loadParser(): Promise<PgParser> {
  if (!parser) {
    const module = await import('libpg-query');
    await module.loadModule();
    parser = module as unknown as PgParser;
  }
  return parser;
}

/** Mutable per-alias state while a statement is walked. */
interface UsageBuilder {
  table: string;
  alias: string;
  predicates: Predicate[];
  joinColumns: Set<string>;
  orderBy: SortKey[];
  groupBy: KeyPart[];
  columnsRead: Set<string> | '*';
}

/** The aliases of one SELECT level; `parent` is the enclosing level (correlated references). */
interface Scope {
  readonly aliases: Map<string, UsageBuilder>;
  readonly parent: Scope | undefined;
  readonly ctes: Set<string>;
  readonly params: readonly unknown[];
  readonly literalsAreValues: boolean;
  readonly all: UsageBuilder[];
}

/**
 * Parses each statement with PostgreSQL's own parser (libpg-query) and extracts, per table and alias,
 * what an index could serve: equality, `IN`, range, `LIKE 'x%'` and `ILIKE '%x%'` predicates (the
 * parameter value decides between prefix and substring), expressions on columns (`lower(email) = $1`),
 * `IS [NOT] NULL` and other constant predicates, join keys (correlated subqueries included), `ORDER BY`
 * with direction, `GROUP BY`, and the columns read. A statement the parser refuses is returned in
 * `unparsed` with its reason; the others are still analysed. Predicates under `OR` or `NOT` are not
 * extracted (no single btree serves them).
 *
 * @example
 * ```ts
 * const { queries, unparsed } = await analyzeWorkload(await readWorkload('workload.json'));
 * queries[0].usages[0];
 * // { table: 'customer', alias: 'c0', predicates: [{ kind: 'equality', on: { expression: 'lower("email")', columns: ['email'] } }], ... }
 * ```
 */
export async function analyzeWorkload(workload: {
  statements: readonly WorkloadStatement[];
}): Promise<WorkloadAnalysis> {
  const pg = await loadParser();
  const queries: AnalyzedQuery[] = [];
  const unparsed: UnparsedStatement[] = [];
  for (const statement of workload.statements) {
    let stmts: { stmt: unknown }[];
    try {
      stmts = pg.parseSync(statement.sql).stmts ?? [];
    } catch (error) {
      unparsed.push({ ...pick(statement), reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (stmts.length !== 1) {
      unparsed.push({ ...pick(statement), reason: `expected one statement, found ${stmts.length}` });
      continue;
    }
    queries.push(analyzeStatement(statement, (stmts[0] as { stmt: unknown }).stmt));
  }
  return { queries, unparsed };
}

function pick(statement: WorkloadStatement): Omit<UnparsedStatement, 'reason'> {
  return { sql: statement.sql, source: statement.source, calls: statement.calls };
}

function analyzeStatement(statement: WorkloadStatement, stmt: unknown): AnalyzedQuery {
  const [type, body] = unwrap(stmt);
  const all: UsageBuilder[] = [];
  const writes: string[] = [];
  const updatedColumns: string[] = [];
  let limited = false;
  let kind: AnalyzedQuery['kind'] = 'other';
  const root: Scope = {
    aliases: new Map(),
    parent: undefined,
    ctes: new Set(),
    params: statement.params,
    literalsAreValues: statement.literalsAreValues ?? false,
    all,
  };
  switch (type) {
    case 'SelectStmt':
      kind = 'select';
      limited = walkSelect(body, root);
      break;
    case 'UpdateStmt':
    case 'DeleteStmt': {
      kind = type === 'UpdateStmt' ? 'update' : 'delete';
      walkWith(body, root);
      const relation = body.relation as Node;
      writes.push(relation.relname as string);
      addRange({ RangeVar: relation }, root);
      for (const item of ((type === 'UpdateStmt' ? body.fromClause : body.usingClause) as unknown[] | undefined) ??
        []) {
        addRange(item, root);
      }
      walkCondition(body.whereClause, root);
      if (type === 'UpdateStmt') {
        for (const target of body.targetList as Node[]) updatedColumns.push((target.ResTarget as Node).name as string);
        for (const target of body.targetList as Node[]) walkReads((target.ResTarget as Node).val, root);
      }
      walkReads(body.whereClause, root);
      break;
    }
    case 'InsertStmt': {
      kind = 'insert';
      walkWith(body, root);
      writes.push((body.relation as Node).relname as string);
      if (body.selectStmt) {
        const [, select] = unwrap(body.selectStmt);
        if (!select.valuesLists) walkSelect(select, childScope(root));
      }
      break;
    }
    default:
      break;
  }
  const usages: TableUsage[] = all.map((usage) => ({
    table: usage.table,
    alias: usage.alias,
    predicates: usage.predicates,
    joinColumns: [...usage.joinColumns],
    orderBy: usage.orderBy,
    groupBy: usage.groupBy,
    columnsRead: usage.columnsRead === '*' ? '*' : [...usage.columnsRead],
  }));
  return {
    sql: statement.sql,
    params: statement.params,
    calls: statement.calls,
    source: statement.source,
    kind,
    writes,
    updatedColumns,
    usages,
    limited,
  };
}

function childScope(parent: Scope): Scope {
  return { ...parent, aliases: new Map(), parent, ctes: new Set(parent.ctes) };
}

function walkWith(body: Node, scope: Scope): void {
  const withClause = body.withClause as Node | undefined;
  for (const cte of (withClause?.ctes as Node[] | undefined) ?? []) {
    const expr = cte.CommonTableExpr as Node;
    scope.ctes.add(expr.ctename as string);
    const [type, query] = unwrap(expr.ctequery);
    if (type === 'SelectStmt') walkSelect(query, childScope(scope));
  }
}

/** Walks one SELECT (a set operation walks both sides); returns whether it has a LIMIT. */
function walkSelect(select: Node, scope: Scope): boolean {
  walkWith(select, scope);
  if (select.op && select.op !== 'SETOP_NONE') {
    walkSelect(select.larg as Node, childScope(scope));
    walkSelect(select.rarg as Node, childScope(scope));
    return Boolean(select.limitCount);
  }
  for (const item of (select.fromClause as unknown[] | undefined) ?? []) addRange(item, scope);
  walkCondition(select.whereClause, scope);
  walkCondition(select.havingClause, scope);
  for (const part of [
    select.targetList,
    select.whereClause,
    select.havingClause,
    select.sortClause,
    select.groupClause,
  ]) {
    walkReads(part, scope);
  }
  walkSort(select.sortClause as Node[] | undefined, scope);
  for (const item of (select.groupClause as unknown[] | undefined) ?? []) {
    const resolved = resolveKeyPart(item, scope);
    if (resolved?.local) resolved.usage.groupBy.push(resolved.part);
  }
  return Boolean(select.limitCount);
}

/** Registers a FROM item: a table under its alias, a join (both sides, then its condition), a subquery. */
function addRange(item: unknown, scope: Scope): void {
  const [type, body] = unwrap(item);
  if (type === 'RangeVar') {
    const table = body.relname as string;
    if (!body.schemaname && scope.ctes.has(table)) return;
    const alias = ((body.alias as Node | undefined)?.aliasname as string | undefined) ?? table;
    const usage: UsageBuilder = {
      table,
      alias,
      predicates: [],
      joinColumns: new Set(),
      orderBy: [],
      groupBy: [],
      columnsRead: new Set(),
    };
    scope.aliases.set(alias, usage);
    scope.all.push(usage);
  } else if (type === 'JoinExpr') {
    addRange(body.larg, scope);
    addRange(body.rarg, scope);
    walkCondition(body.quals, scope);
    walkReads(body.quals, scope);
  } else if (type === 'RangeSubselect') {
    const [, select] = unwrap(body.subquery);
    walkSelect(select, childScope(scope));
  }
}

const RANGE_OPS = new Set(['<', '<=', '>', '>=']);

/** Extracts predicates from a condition: AND-ed terms only; sublinks anywhere are walked as subqueries. */
function walkCondition(node: unknown, scope: Scope): void {
  if (!node) return;
  const [type, body] = unwrap(node);
  if (type === 'BoolExpr') {
    if (body.boolop === 'AND_EXPR') {
      for (const arg of body.args as unknown[]) walkCondition(arg, scope);
    } else {
      walkSublinks(body, scope);
    }
    return;
  }
  if (type === 'NullTest') {
    const resolved = resolveKeyPart(body.arg, scope);
    if (resolved?.local) {
      const isNull = body.nulltesttype === 'IS_NULL';
      resolved.usage.predicates.push({
        kind: isNull ? 'is-null' : 'is-not-null',
        on: resolved.part,
        constant: `${keyPartText(resolved.part)} is ${isNull ? '' : 'not '}null`,
      });
    }
    return;
  }
  if (type === 'SubLink') {
    walkSubLink(body, scope);
    return;
  }
  if (type !== 'A_Expr') {
    walkSublinks(body, scope);
    return;
  }
  walkSublinks(body, scope);
  const op = ((body.name as Node[] | undefined)?.[0]?.String as Node | undefined)?.sval as string | undefined;
  switch (body.kind) {
    case 'AEXPR_OP':
      if (op === '=' || (op !== undefined && RANGE_OPS.has(op))) comparison(body, op, scope);
      return;
    case 'AEXPR_OP_ANY':
      if (op === '=') addValuePredicate(body.lexpr, body.rexpr, 'in', '= any', scope);
      return;
    case 'AEXPR_IN':
      if (op === '=') addValuePredicate(body.lexpr, body.rexpr, 'in', 'in', scope);
      return;
    case 'AEXPR_BETWEEN':
      addValuePredicate(body.lexpr, body.rexpr, 'range', 'between', scope);
      return;
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      if (op !== '~~' && op !== '~~*') return;
      const pattern = patternOf(body.rexpr, scope.params);
      if (pattern === undefined) return;
      const wildcardAt = pattern.search(/[%_]/);
      const kind: PredicateKind = op === '~~' && wildcardAt !== 0 ? 'like-prefix' : 'contains';
      addValuePredicate(body.lexpr, body.rexpr, kind, op === '~~' ? 'like' : 'ilike', scope);
      return;
    }
    default:
      return;
  }
}

/** `a = b`, `a < $1`: a join when both sides are columns of different aliases, else a value predicate. */
function comparison(body: Node, op: string, scope: Scope): void {
  const left = resolveKeyPart(body.lexpr, scope);
  const right = resolveKeyPart(body.rexpr, scope);
  if (left && right) {
    if (left.usage === right.usage) return;
    if (op === '=') {
      for (const side of [left, right]) {
        if (side.local && side.part.column !== undefined) side.usage.joinColumns.add(side.part.column);
      }
      // A correlated reference is a value for each outer row: the inner side is looked up by equality.
      for (const [inner, outer] of [
        [left, right],
        [right, left],
      ] as const) {
        if (inner.local && !outer.local) inner.usage.predicates.push({ kind: 'equality', on: inner.part });
      }
    }
    return;
  }
  const kind: PredicateKind = op === '=' ? 'equality' : 'range';
  if (left) addValuePredicate(body.lexpr, body.rexpr, kind, op, scope);
  else if (right) addValuePredicate(body.rexpr, body.lexpr, kind, op, scope);
}

/** A predicate `keyed op value` where `value` reads no column of this level. */
function addValuePredicate(keyed: unknown, value: unknown, kind: PredicateKind, op: string, scope: Scope): void {
  const resolved = resolveKeyPart(keyed, scope);
  if (!resolved?.local || readsScope(value, scope)) return;
  const constantText = scope.literalsAreValues ? undefined : constantOf(value);
  const predicate: Predicate =
    constantText === undefined
      ? { kind, on: resolved.part }
      : { kind, on: resolved.part, constant: `${keyPartText(resolved.part)} ${op} ${constantText}` };
  resolved.usage.predicates.push(predicate);
}

/** The SQL of a literal value (`'x'`, `42`, `('a', 'b')`, `'20'::numeric`), or undefined when it is not one. */
function constantOf(value: unknown): string | undefined {
  try {
    const [type, body] = unwrap(value);
    if (type === 'A_Const') return renderConst(body);
    if (type === 'TypeCast' && unwrap(body.arg)[0] === 'A_Const') return renderExpression(value);
    if (type === 'List') {
      const items = (body.items as unknown[]).map(constantOf);
      if (items.some((item) => item === undefined)) return undefined;
      return `(${items.join(', ')})`;
    }
  } catch (error) {
    if (!(error instanceof UnrenderableExpression)) throw error;
  }
  return undefined;
}

/** The LIKE pattern: a literal, or the value of its parameter; undefined when unknown. */
function patternOf(node: unknown, params: readonly unknown[]): string | undefined {
  const [type, body] = unwrap(node);
  if (type === 'A_Const' && body.sval) return (body.sval as Node).sval as string;
  if (type === 'ParamRef') {
    const value = params[(body.number as number) - 1];
    return typeof value === 'string' ? value : undefined;
  }
  if (type === 'TypeCast') return patternOf(body.arg, params);
  return undefined;
}

function walkSort(sortClause: Node[] | undefined, scope: Scope): void {
  if (!sortClause || sortClause.length === 0) return;
  const keys: { usage: UsageBuilder; key: SortKey }[] = [];
  for (const item of sortClause) {
    const sortBy = item.SortBy as Node;
    const resolved = resolveKeyPart(sortBy.node, scope);
    if (!resolved?.local) return;
    const direction = sortBy.sortby_dir === 'SORTBY_DESC' ? 'desc' : 'asc';
    const nulls =
      sortBy.sortby_nulls === 'SORTBY_NULLS_FIRST'
        ? 'first'
        : sortBy.sortby_nulls === 'SORTBY_NULLS_LAST'
          ? 'last'
          : undefined;
    keys.push({
      usage: resolved.usage,
      key: nulls ? { on: resolved.part, direction, nulls } : { on: resolved.part, direction },
    });
  }
  const [first] = keys;
  if (first && keys.every((k) => k.usage === first.usage)) first.usage.orderBy.push(...keys.map((k) => k.key));
}

interface Resolved {
  readonly usage: UsageBuilder;
  readonly part: KeyPart;
  /** The alias belongs to this SELECT level (not an enclosing one). */
  readonly local: boolean;
}

/** Finds which alias a column (or an expression over one alias's columns) belongs to. */
function resolveKeyPart(node: unknown, scope: Scope): Resolved | undefined {
  const [type, body] = unwrap(node);
  if (type === 'ColumnRef') {
    const ref = resolveColumn(body, scope);
    return ref
      ? { usage: ref.usage, part: { column: ref.column, columns: [ref.column] }, local: ref.local }
      : undefined;
  }
  if (type === 'ParamRef' || type === 'A_Const' || type === 'SubLink') return undefined;
  const refs: { usage: UsageBuilder; column: string; local: boolean }[] = [];
  let ok = true;
  visit(node, (child) => {
    const [childType, childBody] = unwrap(child);
    if (childType === 'SubLink' || childType === 'ParamRef') ok = false;
    if (childType === 'ColumnRef') {
      const ref = resolveColumn(childBody, scope);
      if (ref) refs.push(ref);
      else ok = false;
      return false;
    }
    return true;
  });
  const [first] = refs;
  if (!ok || !first || refs.some((ref) => ref.usage !== first.usage)) return undefined;
  try {
    const expression = renderExpression(node);
    const columns = [...new Set(refs.map((ref) => ref.column))];
    return { usage: first.usage, part: { expression, columns }, local: first.local };
  } catch (error) {
    if (error instanceof UnrenderableExpression) return undefined;
    throw error;
  }
}

function resolveColumn(body: Node, scope: Scope): { usage: UsageBuilder; column: string; local: boolean } | undefined {
  const fields = (body.fields as Node[]).map((field) => (field.String as Node | undefined)?.sval as string | undefined);
  const column = fields[fields.length - 1];
  if (column === undefined) return undefined;
  let level: Scope | undefined = scope;
  while (level) {
    if (fields.length >= 2) {
      const usage = level.aliases.get(fields[fields.length - 2] as string);
      if (usage) return { usage, column, local: level === scope };
    } else if (level.aliases.size === 1) {
      const [usage] = level.aliases.values();
      return { usage: usage as UsageBuilder, column, local: level === scope };
    } else if (level.aliases.size > 1) {
      return undefined;
    }
    level = level.parent;
  }
  return undefined;
}

/** Whether the expression reads a column of this SELECT level. */
function readsScope(node: unknown, scope: Scope): boolean {
  let reads = false;
  visit(node, (child) => {
    const [type, body] = unwrap(child);
    if (type === 'SubLink') return false;
    if (type === 'ColumnRef') {
      const ref = resolveColumn(body, scope);
      if (!ref || ref.local) reads = true;
      return false;
    }
    return true;
  });
  return reads;
}

/** Columns read, per alias (a `*` or `alias.*` reads them all), for covering indexes. */
function walkReads(node: unknown, scope: Scope): void {
  if (!node) return;
  visit(node, (child) => {
    const [type, body] = unwrap(child);
    if (type === 'SubLink') return false;
    if (type !== 'ColumnRef') return true;
    const fields = body.fields as Node[];
    const last = fields[fields.length - 1] as Node;
    if (last.A_Star) {
      const alias = fields.length >= 2 ? ((fields[fields.length - 2] as Node).String as Node).sval : undefined;
      for (const [name, usage] of scope.aliases) if (alias === undefined || alias === name) usage.columnsRead = '*';
      return false;
    }
    const ref = resolveColumn(body, scope);
    if (ref?.local && ref.usage.columnsRead !== '*') ref.usage.columnsRead.add(ref.column);
    return false;
  });
}

/** Walks every sublink under a node as a subquery correlated to `scope`. */
function walkSublinks(node: unknown, scope: Scope): void {
  visit(node, (child) => {
    const [type, body] = unwrap(child);
    if (type === 'SubLink') {
      walkSubLink(body, scope);
      return false;
    }
    return true;
  });
}

/** `x in (select y ...)`: the subquery's own predicates, and `y` looked up by each `x` (a join key). */
function walkSubLink(body: Node, scope: Scope): void {
  const [, select] = unwrap(body.subselect);
  const inner = childScope(scope);
  walkSelect(select, inner);
  if (body.subLinkType === 'ANY_SUBLINK' && body.testexpr) {
    const outer = resolveKeyPart(body.testexpr, scope);
    if (outer?.local && outer.part.column !== undefined) outer.usage.joinColumns.add(outer.part.column);
  }
}

/** Depth-first over parse-tree nodes; `enter` returns false to skip a node's children. */
function visit(node: unknown, enter: (node: unknown) => boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, enter);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  const isWrapper = keys.length === 1 && /^[A-Z]/.test(keys[0] as string);
  if (isWrapper && !enter(node)) return;
  for (const value of Object.values(isWrapper ? ((node as Node)[keys[0] as string] as Node) : (node as Node))) {
    if (value !== null && typeof value === 'object') visit(value, enter);
  }
}
