import { type IndexerWorkload, readSqlFile, readWorkload } from '@stratum/indexer';
import { CliUsageError } from '../errors/cli-usage-error.js';

/** `--workload`: a `.sql` file is a plain SQL file, anything else the profiler's JSON workload. */
export function readInput(path: string | undefined): Promise<IndexerWorkload> {
  if (!path)
    throw new CliUsageError('--workload <file> is required (a workload.json from @stratum/profiler, or a .sql file)');
  return path.endsWith('.sql') ? readSqlFile(path) : readWorkload(path);
}

/** `--db`: the target database URL. */
export function requireDb(db: string | undefined): string {
  if (!db) {
    throw new CliUsageError(
      '--db <url> is required (a PostgreSQL URL; reading --config mikro-orm.config.ts is not built yet)',
    );
  }
  return db;
}
