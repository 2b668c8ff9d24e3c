export {
  SCHEMA_VERSION,
  TRACE_STATUSES,
  TABLES,
  AI_TRAINING_QUERIES,
  AI_QUERY_CLASSIFICATIONS,
  AI_SCHEMA_CONTEXTS,
  AI_MODEL_INTERACTIONS,
  AI_RESPONSE_SELECTIONS,
  AI_SQL_PROCESSING,
  AI_EXECUTION_RESULTS,
  AI_FALLBACK_EVENTS,
  AI_USER_FEEDBACK,
  AI_SCHEMA_VERSION,
  tableForStage,
} from './tables.js';
export type {
  ColumnType,
  SpanField,
  RecognitionField,
  ColumnSource,
  ColumnDef,
  ForeignKeyDef,
  IndexDef,
  TableDef,
} from './types.js';
export {
  TRAINING_EXAMPLES_VIEW,
  TRAINING_EXAMPLES_SELECT,
  trainingExamplesSelect,
  selectedSqlOf,
} from './view.js';
export { DDL_RULES, DIALECT_NAMES, schemaInstallStatements, schemaInstallScript } from './ddl/index.js';
export type { DialectName, DdlRules } from './ddl/dialect.js';
export { ORACLE_MAX_VARCHAR_CHARS, unwrapOracleBlock } from './ddl/oracle.js';
export { renderConventionsDoc } from './docs.js';
export { MIGRATIONS, SCHEMA_VERSION_QUERY, upgradeStatements } from './migrations.js';
export type { Migration } from './migrations.js';
export { DEFAULT_GRANT_ROLES, ROLE_PRIVILEGES, grantStatements, grantScript } from './grants.js';
export type { GrantRoles, ServerDialect } from './grants.js';
