export {
  type IndexesGenerateOptions,
  type IndexesGenerateReport,
  type IndexesLintOptions,
  type IndexesLintReport,
  type IndexesSuggestOptions,
  type IndexesSuggestReport,
  indexesGenerate,
  indexesLint,
  indexesSuggest,
  type SuggestedIndex,
} from './commands/indexes.js';
export { type SqliteCheckOptions, type SqliteCheckReport, sqliteCheck } from './commands/sqlite-check.js';
export { type TargetDatabaseOptions, targetDatabaseUrl } from './commands/target-database.js';
export { CliInputError } from './errors/cli-input-error.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export { type LoadMikroOrmConfigOptions, loadMikroOrmConfig } from './load-mikro-orm-config.js';
export { formatTable } from './output/format-table.js';
export { createProgress, type Progress, type ProgressStream } from './output/progress.js';
export { type CliIo, runCli } from './run-cli.js';
