export { analyzeWorkload } from './analyze/analyze-postgres.js';
export {
  type AnalyzedQuery,
  type KeyPart,
  type Predicate,
  type PredicateKind,
  quoteIdent,
  type SortKey,
  type TableUsage,
  type UnparsedStatement,
  type WorkloadAnalysis,
} from './analyze/query-shape.js';
export { DatabaseUnreachableError } from './errors/database-unreachable-error.js';
export { IndexerOptionError } from './errors/indexer-option-error.js';
export { UnknownTableError } from './errors/unknown-table-error.js';
export { WorkloadFileError } from './errors/workload-file-error.js';
export { WorkloadVersionError } from './errors/workload-version-error.js';
export { splitStatements, toDollarPlaceholders } from './input/sql-scanner.js';
export {
  type IndexerWorkload,
  parseSqlText,
  parseWorkload,
  readSqlFile,
  readWorkload,
  type WorkloadStatement,
} from './input/workload-input.js';
