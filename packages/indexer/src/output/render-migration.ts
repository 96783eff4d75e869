import type { IndexSuggestion } from '../advise/choose-indexes.js';
import { quoteIdent } from '../analyze/query-shape.js';
import { createIndexSql } from '../candidates/index-candidate.js';
import { IndexerOptionError } from '../errors/indexer-option-error.js';

/** Options of {@link renderMigration}. */
export interface RenderMigrationOptions {
  /**
   * The class name, which MikroORM's Migrator also uses as the migration's name (the file should be
   * `<className>.ts`). @default `Migration<yyyyMMddHHmmss>` of `date`
   */
  className?: string;
  /** The timestamp of the default class name. @default new Date() */
  date?: Date;
}

/**
 * Renders the suggestions as a MikroORM migration class (TypeScript, `@mikro-orm/migrations` 7.2.1):
 * `up()` creates each index with `CREATE INDEX CONCURRENTLY IF NOT EXISTS` (no write lock on the
 * table while it builds), `down()` drops them with `DROP INDEX CONCURRENTLY IF EXISTS`, and
 * `isTransactional()` is false, since PostgreSQL refuses a concurrent build inside a transaction.
 * Run it with the Migrator's `allOrNothing: false` (its default `true` wraps the whole run in one
 * transaction anyway). Each index has a comment with the queries it serves and the estimated saving.
 * Identifiers are always quoted; the SQL is embedded as JSON string literals, so no name can break out.
 *
 * @example
 * ```ts
 * const { suggestions } = await suggestIndexes({ workload, clientUrl });
 * await writeFile('migrations/Migration20261204190000.ts', renderMigration(suggestions, { className: 'Migration20261204190000' }));
 * // then: MikroORM.init({ ..., extensions: [Migrator], migrations: { allOrNothing: false } }); await orm.migrator.up();
 * ```
 */
export function renderMigration(suggestions: readonly IndexSuggestion[], options: RenderMigrationOptions = {}): string {
  const className = options.className ?? `Migration${timestamp(options.date ?? new Date())}`;
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(className)) {
    throw new IndexerOptionError('className', 'a JavaScript identifier', className);
  }
  const up: string[] = [];
  const down: string[] = [];
  if (suggestions.some((s) => s.index.keys.some((key) => key.opclass === 'gin_trgm_ops'))) {
    up.push('    // Trigram indexes need pg_trgm (shipped with PostgreSQL; creating it needs the CREATE privilege).');
    up.push(`    this.addSql(${JSON.stringify('create extension if not exists pg_trgm;')});`);
  }
  for (const { index, reason } of suggestions) {
    const lines = [
      `${index.name} (${index.kinds.join(', ')}): saves ~${formatNumber(reason.saved)} planner cost units per workload run` +
        `, ~${formatBytes(reason.estimatedBytes)}`,
      ...reason.queries.map(
        (q) =>
          `  serves ${q.source} (${q.calls} calls, cost ${formatNumber(q.before)} -> ${formatNumber(q.after)}): ${oneLine(q.sql)}`,
      ),
      ...reason.writesSlowed.map((w) => `  slows ${w.source} (${w.calls} calls): ${oneLine(w.sql)}`),
    ];
    up.push(...lines.map((line) => `    // ${line}`));
    up.push(`    this.addSql(${JSON.stringify(`${createIndexSql(index, { concurrently: true })};`)});`);
    down.unshift(
      `    this.addSql(${JSON.stringify(`drop index concurrently if exists ${quoteIdent(index.schema)}.${quoteIdent(index.name)};`)});`,
    );
  }
  return `import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes suggested by @stratum/indexer for a recorded workload (${suggestions.length} index${suggestions.length === 1 ? '' : 'es'}).
 *
 * CREATE INDEX CONCURRENTLY cannot run inside a transaction: this migration is not transactional, and
 * the Migrator must run with \`migrations: { allOrNothing: false }\` (its default wraps the whole run in
 * one transaction). A build that fails leaves an INVALID index behind: drop it and run the migration again.
 */
export class ${className} extends Migration {
  override isTransactional(): boolean {
    return false;
  }

  override async up(): Promise<void> {
${up.join('\n')}
  }

  override async down(): Promise<void> {
${down.join('\n')}
  }
}
`;
}

/** `yyyyMMddHHmmss` in UTC, the form MikroORM's own migration names take. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\..*$/, '');
}

/** A query on one comment line: whitespace collapsed, no line break, at most 160 characters. */
function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '?';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : String(Math.round(value * 100) / 100);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} B`;
}
