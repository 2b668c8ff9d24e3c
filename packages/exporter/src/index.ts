/**
 * What an application (and the SDK, the collector, the CLI) uses. The mapper, the failure tables
 * and other internals the benchmarks and tests reach for are on `@aitdr/exporter/internals`.
 */
export {
  createTableExporter,
  installSchemaFromEnvironment,
  INSTALL_SCHEMA_VARIABLE,
} from './create-table-exporter.js';
export { StoreConfigurationError, SchemaNotReadyError } from './store/store-errors.js';
export { DriverUnavailableError } from './store/failures.js';
export { readSchemaStatus, applySchema } from './schema-admin.js';
export type { SchemaStatus } from './schema-admin.js';
export { deleteRecords } from './retention/delete-records.js';
export type { DeletionCriteria, DeletionReport } from './retention/delete-records.js';
export { TableExporter } from './table-exporter.js';
export type { DeadLetterReplay, TableExporterStatus } from './table-exporter.js';
export { DEFAULTS } from './types.js';
export type {
  TableExporterOptions,
  StoreOptions,
  SqliteStoreOptions,
  PostgresStoreOptions,
  OracleStoreOptions,
  SpoolOptions,
  RetryOptions,
  BreakerOptions,
  ParkingOptions,
  DeadLetterOptions,
} from './types.js';
export {
  parseStoreUrl,
  redactStoreUrl,
  defaultStateDirectory,
  storeLabel,
  storeStateKey,
  STORE_PASSWORD_VARIABLE,
  STORE_OPTION_HELP,
  STORE_STATEMENT_TIMEOUT_VARIABLE,
} from './store-url.js';
export { DurableSpool } from './keep/durable-spool.js';
export type { DurableSpoolOptions, SpoolRecord } from './keep/durable-spool.js';
export { readDeadLetters, DEAD_LETTER_FILE } from './keep/dead-letter-store.js';
export type { DeadLetter } from './keep/dead-letter-store.js';
export type {
  OracleDriver,
  OraclePool,
  OraclePoolAttributes,
  OracleConnection,
  OracleBindDef,
  OracleBatchError,
  OracleDbType,
  OracleExecuteOptions,
  OracleExecuteManyOptions,
  OracleFetchMetadata,
  OracleQueryStreamOptions,
} from './dialects/oracle/oracle-driver.js';
export type { PostgresDriver } from './dialects/postgres/postgres-driver.js';
export { openTableReader } from './open-table-reader.js';
export {
  Binds,
  READ_TABLES,
  StoreReadError,
  StoreOpenError,
  MissingTablesError,
} from './read/table-reader.js';
export type { TableReader, TableReaderOptions, ReadRow, ReadValue, BindValue } from './read/table-reader.js';
