import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChooseProgress, renderMigration, suggestIndexes } from '@stratum/indexer';
import { CliUsageError } from '../errors/cli-usage-error.js';
import { readInput, requireDb } from './read-input.js';

/** Options of {@link indexesGenerate}. */
export interface IndexesGenerateOptions {
  workload?: string;
  db?: string;
  /** The app's MikroORM config file, instead of `db`. */
  config?: string;
  /** The migrations folder. */
  out?: string;
  /** @default `Migration<yyyyMMddHHmmss>` (now, UTC) */
  className?: string;
  onProgress?: (event: ChooseProgress) => void;
}

/** What `stratum indexes generate --json` prints. */
export interface GenerateOutput {
  readonly version: 1;
  readonly file: string;
  readonly indexes: readonly string[];
}

/**
 * `stratum indexes generate`: writes the suggestions as a MikroORM migration `<out>/<className>.ts`
 * (run it with `migrations: { allOrNothing: false }`, see docs/indexer.md).
 *
 * @example
 * ```ts
 * await indexesGenerate({ workload: 'workload.json', db: url, out: 'migrations' }); // { file: 'migrations/Migration20261204193000.ts', ... }
 * ```
 */
export async function indexesGenerate(options: IndexesGenerateOptions): Promise<GenerateOutput> {
  const db = await requireDb(options.db, options.config);
  if (!options.out) throw new CliUsageError('--out <folder> is required (the migrations folder)');
  const workload = await readInput(options.workload);
  const result = await suggestIndexes({
    workload,
    clientUrl: db,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const source = renderMigration(result.suggestions, options.className ? { className: options.className } : {});
  const className = /export class (\w+)/.exec(source)?.[1] as string;
  await mkdir(options.out, { recursive: true });
  const file = join(options.out, `${className}.ts`);
  await writeFile(file, source);
  return { version: 1, file, indexes: result.suggestions.map((s) => s.index.name) };
}
