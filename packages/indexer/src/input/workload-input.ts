import { readFile } from 'node:fs/promises';
import { WorkloadFileError } from '../errors/workload-file-error.js';
import { WorkloadVersionError } from '../errors/workload-version-error.js';
import { splitStatements, stripComments, toDollarPlaceholders } from './sql-scanner.js';

/**
 * One statement shape of the workload, as the indexer analyses it: PostgreSQL text with `$n`
 * placeholders, the parameters of one real call (used to plan it), and how often it runs.
 */
export interface WorkloadStatement {
  /** PostgreSQL SQL with `$1, $2, ...` placeholders (MikroORM's `?` converted). */
  readonly sql: string;
  readonly params: readonly unknown[];
  /** How many times the workload ran it (≥ 1). */
  readonly calls: number;
  /** Where it came from: `workload.json#3` (the 4th query of the file) or `queries.sql:12` (its line). */
  readonly source: string;
  /**
   * True for a plain SQL file, where values are written as literals: a literal is then a value like a
   * parameter, not a constant of the query shape (no partial index is derived from it).
   */
  readonly literalsAreValues?: boolean;
}

/** What the indexer reads: statements with frequencies. */
export interface IndexerWorkload {
  readonly statements: readonly WorkloadStatement[];
}

/**
 * Reads the workload file `@stratum/profiler` writes (`writeWorkload(path, toWorkload(...))`, version 1).
 *
 * @throws {WorkloadFileError} the file is missing, not JSON, or not a workload.
 * @throws {WorkloadVersionError} its `version` is not 1.
 * @example
 * ```ts
 * await writeWorkload('workload.json', toWorkload(report.queries)); // in a profiled test run
 * const workload = await readWorkload('workload.json');
 * workload.statements[0]; // { sql: 'select "c0".* from "customer" as "c0" where "c0"."email" = $1', params: ['a@b.c'], calls: 120, source: 'workload.json#0' }
 * ```
 */
export async function readWorkload(path: string): Promise<IndexerWorkload> {
  const text = await readText(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new WorkloadFileError(path, `is not JSON (${(error as Error).message})`, { cause: error });
  }
  return parseWorkload(value, path);
}

/**
 * Checks a workload value (the parsed JSON of a workload file, or `toWorkload(...)`'s result) and
 * converts it to what the indexer analyses. Transaction control (`begin`, `commit`) is left out.
 *
 * @throws {WorkloadFileError} not the shape of a version 1 workload (the message names the field).
 * @throws {WorkloadVersionError} `version` is not 1.
 * @example
 * ```ts
 * const workload = parseWorkload(toWorkload(report.queries));
 * ```
 */
export function parseWorkload(value: unknown, path?: string): IndexerWorkload {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WorkloadFileError(path, 'is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (record.version !== 1) {
    throw new WorkloadVersionError(path, record.version);
  }
  if (!Array.isArray(record.queries)) {
    throw new WorkloadFileError(path, '"queries" is not an array');
  }
  const statements: WorkloadStatement[] = [];
  const name = path ?? 'workload';
  record.queries.forEach((query: unknown, index) => {
    const where = `queries[${index}]`;
    if (query === null || typeof query !== 'object') throw new WorkloadFileError(path, `${where} is not an object`);
    const q = query as Record<string, unknown>;
    const example = q.example as Record<string, unknown> | undefined;
    if (!example || typeof example.sql !== 'string') {
      throw new WorkloadFileError(path, `${where}.example.sql is not a string`);
    }
    if (!Array.isArray(example.params)) throw new WorkloadFileError(path, `${where}.example.params is not an array`);
    if (!Number.isSafeInteger(q.calls) || (q.calls as number) < 1) {
      throw new WorkloadFileError(path, `${where}.calls must be a positive integer, got ${JSON.stringify(q.calls)}`);
    }
    if (q.kind === 'transaction' || /^\s*(begin|commit|rollback|savepoint|release)\b/i.test(example.sql)) return;
    const converted = toDollarPlaceholders(example.sql);
    statements.push({
      sql: converted.sql,
      params: example.params,
      calls: q.calls as number,
      source: `${name}#${index}`,
    });
  });
  return { statements };
}

/**
 * Reads a plain SQL file: statements separated by `;`, each run once unless a `-- calls: N`
 * comment in it (or just before it) says how often. Literals in place of parameters.
 *
 * @throws {WorkloadFileError} the file cannot be read, or a `calls` comment is not a positive integer.
 * @example
 * ```ts
 * // queries.sql:
 * //   -- calls: 500
 * //   select * from customer where email = 'luisg@embraer.com.br';
 * //   select * from invoice where invoice_date >= '2025-01-01';
 * const workload = await readSqlFile('queries.sql'); // two statements, 500 and 1 calls
 * ```
 */
export async function readSqlFile(path: string): Promise<IndexerWorkload> {
  const text = await readText(path);
  return parseSqlText(text, path);
}

/**
 * {@link readSqlFile} on text already in memory; `name` labels the statements' `source`.
 *
 * @example
 * ```ts
 * parseSqlText('-- calls: 3\nselect 1; select 2').statements.map((s) => s.calls); // [3, 1]
 * ```
 */
export function parseSqlText(text: string, name?: string): IndexerWorkload {
  const statements: WorkloadStatement[] = [];
  for (const chunk of splitStatements(text)) {
    const match = /--\s*calls\s*:\s*(\S+)/i.exec(chunk.text);
    let calls = 1;
    if (match) {
      calls = Number(match[1]);
      if (!Number.isSafeInteger(calls) || calls < 1) {
        throw new WorkloadFileError(
          name,
          `line ${chunk.line}: "-- calls:" must be a positive integer, got ${JSON.stringify(match[1])}`,
        );
      }
    }
    const sql = stripComments(chunk.text).trim();
    if (/^(begin|commit|rollback|savepoint|release)\b/i.test(sql)) continue;
    statements.push({ sql, params: [], calls, source: `${name ?? 'sql'}:${chunk.line}`, literalsAreValues: true });
  }
  return { statements };
}

/** The file's text, or a {@link WorkloadFileError} saying why it cannot be read. */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new WorkloadFileError(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      cause: error,
    });
  }
}
