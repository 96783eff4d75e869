export {
  type ChooseOptions,
  type ChooseProgress,
  chooseIndexes,
  type IndexSuggestion,
  type QueryCost,
  type SuggestionReason,
  type WorkloadChoice,
} from './advise/choose-indexes.js';
export { type IndexSuggestions, type SuggestIndexesOptions, suggestIndexes } from './advise/suggest-indexes.js';
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
export { generateCandidates, type ProposedCandidate, servesCandidate } from './candidates/generate-candidates.js';
export {
  type CandidateKey,
  type CandidateKind,
  candidateName,
  createIndexSql,
  type IndexCandidate,
} from './candidates/index-candidate.js';
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
export {
  type IndexLintFinding,
  type LintIndexesOptions,
  lintIndexes,
  type RedundantIndexFinding,
} from './lint/lint-indexes.js';
export {
  type EntityIndexDeclaration,
  type EntityIndexOptions,
  type EntityMetadataSource,
  entityIndexDeclarations,
} from './output/entity-index-declarations.js';
export { type RenderMigrationOptions, renderMigration } from './output/render-migration.js';
export { connectPostgres, type PgClient } from './postgres/connect.js';
export {
  type ColumnStats,
  type ExistingIndex,
  type ExistingIndexKey,
  type ForeignKeyInfo,
  introspectPostgres,
  type PostgresSchema,
  type TableInfo,
} from './postgres/introspect-postgres.js';
export { type EvaluationMethod, type PlannedQuery, type PlannedSet, PlanSession } from './postgres/plan-session.js';
