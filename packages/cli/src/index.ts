export { type SqliteCheckOptions, type SqliteCheckReport, sqliteCheck } from './commands/sqlite-check.js';
export { CliInputError } from './errors/cli-input-error.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export { type LoadMikroOrmConfigOptions, loadMikroOrmConfig } from './load-mikro-orm-config.js';
export { formatTable } from './output/format-table.js';
export { createProgress, type Progress, type ProgressStream } from './output/progress.js';
export { type CliIo, runCli } from './run-cli.js';
