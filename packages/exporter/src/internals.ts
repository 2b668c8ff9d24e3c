/**
 * `@aitdr/exporter/internals`: the parts the benchmarks, the tests and the generated docs use that
 * an application does not: the mapper (spans in, rows out), each dialect's failure table, the
 * driver check and the deletion statements. No compatibility promise beyond this repository.
 */
export { mapTrace } from './mapping/trace-mapper.js';
export type { MappedTrace, UnmappableTrace, OtherSpan, OtherSpansMerge } from './mapping/trace-mapper.js';
export type { Row, TableRows } from './mapping/rows.js';
export type { RowValue } from './mapping/values.js';
export { insertStatement, rowsJson, sendInsert } from './dialects/postgres/postgres-batch.js';
export { POSTGRES_FAILURES } from './dialects/postgres/postgres-failures.js';
export { SQLITE_FAILURES } from './dialects/sqlite/sqlite-failures.js';
export { ORACLE_FAILURES } from './dialects/oracle/oracle-failures.js';
export type { FailureTable, FailureRule, ClassifiedFailure } from './store/failure-table.js';
export type { FailureKind } from './store/dialect.js';
export { checkDriver, DRIVER_PACKAGES } from './dialects/check-driver.js';
export { deletionStatements } from './retention/delete-records.js';
export type { DeletionStatement } from './retention/delete-records.js';
