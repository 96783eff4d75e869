import { type IndexerWorkload, readSqlFile, readWorkload } from '@stratum/indexer';
import { CliUsageError } from '../errors/cli-usage-error.js';
import { dbFromConfig } from './db-from-config.js';

/** `--workload`: a `.sql` file is a plain SQL file, anything else the profiler's JSON workload. */
export function readInput(path: string | undefined): Promise<IndexerWorkload> {
  if (!path)
    throw new CliUsageError('--workload <file> is required (a workload.json from @stratum/profiler, or a .sql file)');
  return path.endsWith('.sql') ? readSqlFile(path) : readWorkload(path);
}

/** `--db`, else the database of `--config` (the app's MikroORM config): the target database URL. */
export async function requireDb(db: string | undefined, config?: string): Promise<string> {
  if (db && config) throw new CliUsageError('--db and --config are alternatives: give one');
  if (db) return db;
  if (config) return dbFromConfig(config);
  throw new CliUsageError('--db <url> or --config <mikro-orm.config.ts> is required (the target PostgreSQL)');
}
