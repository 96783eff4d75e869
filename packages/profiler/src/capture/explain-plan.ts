import type { Dictionary } from '@mikro-orm/core';

/** A full scan of a table the planner expects to be large: the usual reason a query is slow. */
export interface SequentialScan {
  readonly table: string;
  /** Rows in the table (PostgreSQL's estimate, SQLite's count). */
  readonly tableRows: number;
}

/**
 * The plan of one query: PostgreSQL `EXPLAIN (FORMAT JSON)` or SQLite `EXPLAIN QUERY PLAN`, and the
 * sequential scans of large tables found in it.
 */
export interface QueryPlan {
  readonly dialect: 'postgresql' | 'sqlite';
  /** PostgreSQL: the JSON plan; SQLite: the `explain query plan` rows. */
  readonly plan: unknown;
  /** The plan as text, one node per line. */
  readonly text: string;
  readonly sequentialScans: readonly SequentialScan[];
}

/** Runs SQL on the ORM's read connection, outside every profile scope. */
export type PlanRunner = (sql: string, params: readonly unknown[]) => Promise<Dictionary[]>;

/** Options of {@link explainPlan}. */
export interface ExplainOptions {
  /** A sequential scan is flagged when its table has at least this many rows. @default 1000 */
  largeTableRows?: number;
}

/**
 * Explains one captured query. Never runs it: `EXPLAIN` without `ANALYZE` and `EXPLAIN QUERY PLAN`
 * only plan.
 *
 * @example
 * ```ts
 * const plan = await report.queries[0].explain?.();
 * plan?.sequentialScans; // [{ table: 'invoice_line', tableRows: 224000 }]
 * ```
 */
export async function explainPlan(
  run: PlanRunner,
  dialect: 'postgresql' | 'sqlite',
  sql: string,
  params: readonly unknown[],
  options: ExplainOptions = {},
): Promise<QueryPlan> {
  const largeTableRows = options.largeTableRows ?? 1000;
  if (dialect === 'postgresql') {
    const [row] = await run(`explain (format json) ${sql}`, params);
    const plan = (row?.['QUERY PLAN'] as Dictionary[] | undefined)?.[0]?.Plan as Dictionary | undefined;
    const lines: string[] = [];
    const scans: string[] = [];
    walk(plan, 0, lines, scans);
    const sequentialScans: SequentialScan[] = [];
    for (const table of new Set(scans)) {
      const [stats] = await run('select greatest(reltuples, 0)::bigint as n from pg_class where relname = ?', [table]);
      let tableRows = Number(stats?.n ?? 0);
      if (tableRows === 0) {
        const [count] = await run(`select count(*) as n from ${quotePg(table)}`, []);
        tableRows = Number(count?.n ?? 0);
      }
      if (tableRows >= largeTableRows) {
        sequentialScans.push({ table, tableRows });
      }
    }
    return { dialect, plan, text: lines.join('\n'), sequentialScans };
  }
  const rows = await run(`explain query plan ${sql}`, params);
  const aliases = tableAliases(sql);
  const sequentialScans: SequentialScan[] = [];
  for (const row of rows) {
    // `SCAN track` (or its alias) is a full scan; `SEARCH ... USING INDEX` and `SCAN ... USING (COVERING) INDEX` are not.
    const match = /^SCAN (\S+)(?: AS \S+)?$/.exec(String(row.detail ?? ''));
    if (match?.[1]) {
      const table = aliases.get(match[1]) ?? match[1];
      const [count] = await run(`select count(*) as n from "${table.replaceAll('"', '""')}"`, []);
      const tableRows = Number(count?.n ?? 0);
      if (tableRows >= largeTableRows) {
        sequentialScans.push({ table, tableRows });
      }
    }
  }
  return { dialect, plan: rows, text: rows.map((row) => String(row.detail)).join('\n'), sequentialScans };
}

function walk(node: Dictionary | undefined, depth: number, lines: string[], scans: string[]): void {
  if (!node) {
    return;
  }
  const relation = node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
  lines.push(
    `${'  '.repeat(depth)}${node['Node Type']}${relation} (rows=${node['Plan Rows']}, cost=${node['Total Cost']})`,
  );
  if (node['Node Type'] === 'Seq Scan' && typeof node['Relation Name'] === 'string') {
    scans.push(node['Relation Name']);
  }
  for (const child of (node.Plans as Dictionary[] | undefined) ?? []) {
    walk(child, depth + 1, lines, scans);
  }
}

/** `from "invoice_line" as "i0"` → `i0` → `invoice_line` (SQLite's plans name tables by their alias). */
function tableAliases(sql: string): Map<string, string> {
  const aliases = new Map<string, string>();
  const pattern = /\b(?:from|join)\s+[`"]?([\w$]+)[`"]?(?:\s+as)?\s+[`"]?([\w$]+)[`"]?/gi;
  for (const match of sql.matchAll(pattern)) {
    if (match[1] && match[2]) {
      aliases.set(match[2], match[1]);
    }
  }
  return aliases;
}

function quotePg(table: string): string {
  return `"${table.replaceAll('"', '""')}"`;
}
