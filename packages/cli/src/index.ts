export { type GenerateOutput, type IndexesGenerateOptions, indexesGenerate } from './commands/indexes-generate.js';
export { type IndexesLintOptions, indexesLint, type LintOutput } from './commands/indexes-lint.js';
export { type IndexesSuggestOptions, indexesSuggest, type SuggestOutput } from './commands/indexes-suggest.js';
export { CliUsageError } from './errors/cli-usage-error.js';
export { type ExitCode, exitCodeOf, runCli } from './run-cli.js';
