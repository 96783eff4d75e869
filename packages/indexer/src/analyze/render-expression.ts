import { quoteIdent } from './query-shape.js';

type Node = Record<string, unknown>;

/** Thrown inside the renderer for a node it does not render; callers then drop the expression. */
export class UnrenderableExpression extends Error {}

const SIMPLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Renders a parse-tree expression as PostgreSQL SQL over unqualified columns, the form an index
 * expression takes (`lower(c0.email)` → `lower("email")`). Renders column refs, constants, function
 * calls, casts, binary operators and `coalesce`; anything else throws {@link UnrenderableExpression}.
 * (libpg-query 18's WASM build has no deparser.)
 */
export function renderExpression(node: unknown): string {
  const [type, body] = unwrap(node);
  switch (type) {
    case 'ColumnRef': {
      const fields = body.fields as Node[];
      const last = fields[fields.length - 1] as Node;
      if (!last.String) throw new UnrenderableExpression('star');
      return quoteIdent((last.String as Node).sval as string);
    }
    case 'A_Const':
      return renderConst(body);
    case 'FuncCall': {
      if (body.agg_star || body.agg_distinct || body.over || body.agg_order || body.agg_filter) {
        throw new UnrenderableExpression('aggregate');
      }
      const name = (body.funcname as Node[])
        .map((part) => (part.String as Node).sval as string)
        .filter((part, i, all) => !(part === 'pg_catalog' && i < all.length - 1))
        .map((part) => (SIMPLE_NAME.test(part) ? part : quoteIdent(part)))
        .join('.');
      const args = ((body.args as unknown[] | undefined) ?? []).map(renderExpression);
      return `${name}(${args.join(', ')})`;
    }
    case 'TypeCast': {
      const typeName = body.typeName as Node;
      const names = (typeName.names as Node[])
        .map((part) => (part.String as Node).sval as string)
        .filter((part) => part !== 'pg_catalog');
      if (typeName.typmods || typeName.arrayBounds) throw new UnrenderableExpression('typmod');
      return `(${renderExpression(body.arg)})::${names.map((n) => (SIMPLE_NAME.test(n) ? n : quoteIdent(n))).join('.')}`;
    }
    case 'A_Expr': {
      if (body.kind !== 'AEXPR_OP' || !body.lexpr) throw new UnrenderableExpression('operator');
      const op = (((body.name as Node[])[0] as Node).String as Node).sval as string;
      if (!/^[-+*/%|&<>=!~#@^]+$/.test(op)) throw new UnrenderableExpression('operator');
      return `(${renderExpression(body.lexpr)} ${op} ${renderExpression(body.rexpr)})`;
    }
    case 'CoalesceExpr':
      return `coalesce(${(body.args as unknown[]).map(renderExpression).join(', ')})`;
    default:
      throw new UnrenderableExpression(type);
  }
}

/** Renders a constant (`'it''s'`, `42`, `true`, `null`). */
export function renderConst(body: Node): string {
  if (body.isnull) return 'null';
  if (body.sval) return `'${((body.sval as Node).sval as string).replaceAll("'", "''")}'`;
  if (body.ival) return String((body.ival as Node).ival ?? 0);
  if ('ival' in body) return '0';
  if (body.fval) return (body.fval as Node).fval as string;
  if (body.boolval) return (body.boolval as Node).boolval ? 'true' : 'false';
  if ('boolval' in body) return 'false';
  if (body.bsval) return `B'${(body.bsval as Node).bsval as string}'`;
  throw new UnrenderableExpression('constant');
}

/** `{ ColumnRef: {...} }` → `['ColumnRef', {...}]`. */
export function unwrap(node: unknown): [string, Node] {
  if (node === null || typeof node !== 'object') throw new UnrenderableExpression('not a node');
  const [type] = Object.keys(node);
  if (type === undefined) throw new UnrenderableExpression('empty node');
  return [type, (node as Node)[type] as Node];
}
