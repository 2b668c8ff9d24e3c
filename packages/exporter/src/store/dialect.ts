import type { DialectName, TableDef } from '@aitdr/schema';
import type { Row } from '../mapping/rows.js';
import type { ClassifiedFailure } from './failure-table.js';
import type { SqlSyntax } from './sql.js';

/**
 * What happens when a row's key is already stored. `ignore` keeps the stored row (idempotent
 * re-export); `fill` keeps the stored row's values and sets only its NULL columns from the
 * incoming row (content that arrived late, e.g. a log record after its trace was written: a
 * replay of the same row changes nothing, and a value already stored always wins); `update`
 * overwrites `columns` only where the stored row's `where.column` equals `where.equals` (an
 * INCOMPLETE placeholder becoming the complete query row).
 */
export type ConflictAction =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'fill' }
  | {
      readonly kind: 'update';
      readonly columns: readonly string[];
      readonly where: { readonly column: string; readonly equals: string };
    };

/** A row the database refused while the rest of its statement went through (Oracle `batchErrors`). */
export interface RowError {
  /** Index of the row in the `rows` passed to `insert`. */
  readonly index: number;
  readonly error: unknown;
}

/** The statements one batch needs, run inside one transaction. */
export interface StoreTransaction {
  /**
   * Inserts rows of one table. A dialect whose driver reports refused rows one by one returns
   * them (and the caller rolls back); the others throw on the first refused row.
   */
  insert(table: TableDef, rows: readonly Row[], onConflict: ConflictAction): Promise<readonly RowError[]>;
  /** Which of these query IDs have a query row. */
  existingQueryIds(ids: readonly string[]): Promise<Set<string>>;
  /** The stored OTHER_SPANS (parsed; null when empty) of these query rows, locked until commit. */
  lockOtherSpans(ids: readonly string[]): Promise<Map<string, unknown[] | null>>;
  updateOtherSpans(queryId: string, json: string): Promise<void>;
  /** A statement built by `store/sql.ts` (DELETE, …); resolves with the rows it changed. */
  change(sql: string, binds: readonly BindValue[]): Promise<number>;
  /** A `SELECT COUNT(*)` built by `store/sql.ts`. */
  count(sql: string, binds: readonly BindValue[]): Promise<number>;
}

/**
 * A value bound to a statement; each dialect's `bind` converts it for its driver. What `change`
 * and `count` get from `store/sql.ts` is text (timestamps as ISO-8601 text, see `SqlSyntax.timestamp`).
 */
export type BindValue = string | number | boolean | Date | null;

/**
 * How the writer treats a failure:
 * - `transient`: the store could not be reached or asked to try again (network, pool, failover,
 *   serialization, lock): retried, then spooled;
 * - `configuration`: the store is set up wrongly (schema, privileges, credentials, space, driver):
 *   not retried, spooled; the status and a log line say why and name the fix;
 * - `missing-parent`: a foreign key found no query row (feedback before its query): parked;
 * - `data`: the database refused this data (length, type, check): dead-lettered.
 */
export type FailureKind = 'transient' | 'missing-parent' | 'data' | 'configuration';

/**
 * One store, for writing and reading. The core talks to a database only through this; drivers stay
 * in `dialects/<name>/`, each declared there as the few methods the dialect calls. The writing side
 * connects (and installs the schema when told to) on the first transaction; the reading side on
 * `openReading()`, read-only where the store allows it. `close()` closes both.
 */
export interface Dialect {
  readonly name: DialectName;
  /** What differs in the SQL text `store/sql.ts` and the table reader build: placeholders, row locks, timestamps. */
  readonly syntax: SqlSyntax;
  /** A value as this driver binds it: booleans and instants differ between the stores. */
  bind(value: BindValue): unknown;

  /**
   * Runs `work` in one transaction on one connection, connecting (and installing the schema) on
   * first use. Commits when `work` resolves; rolls back and rethrows when it throws.
   */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  /**
   * Connects (installing or upgrading the schema when told to) and returns the schema version
   * found; rejects with SchemaNotReadyError when it is missing or behind.
   */
  schemaVersion(): Promise<number>;

  /**
   * Connects for reading (loading the driver, never installing) and checks the store answers.
   * `ownThread`: SQLite reads on a thread of its own, a batch ahead of the caller (see
   * `TableReaderOptions.ownThread`); the other drivers never block the caller.
   */
  openReading(options?: { readonly ownThread?: boolean }): Promise<void>;
  /** Rows of one query, as the driver gives them, fetched `batchSize` at a time; leaving the loop early releases the statement. */
  stream(sql: string, binds: readonly unknown[], batchSize: number): AsyncIterable<Record<string, unknown>>;
  /** Names (upper case) of the tables and views the reading connection sees. */
  tableNames(): Promise<Set<string>>;

  classify(error: unknown): FailureKind;
  /** The row of the dialect's failure table that decided `classify`, with its meaning and fix. */
  describe(error: unknown): ClassifiedFailure;
  /** Closes connections; the dialect may be used again afterwards (it reconnects). */
  close(): Promise<void>;
}
