import type { DialectName, TableDef } from '@aitdr/schema';
import type { Row } from '../mapping/rows.js';
import type { ClassifiedFailure } from './failure-table.js';

/**
 * What happens when a row's key is already stored. `ignore` keeps the stored row (idempotent
 * re-export); `update` overwrites `columns` only where the stored row's `where.column` equals
 * `where.equals` (an INCOMPLETE placeholder becoming the complete query row).
 */
export type ConflictAction =
  | { readonly kind: 'ignore' }
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

/** What `change` and `count` bind: text (timestamps as ISO-8601 text, see `SqlSyntax.timestamp`). */
export type BindValue = string;

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

/** One store. The core talks to a database only through this; drivers stay in `dialects/<name>/`. */
export interface Dialect {
  readonly name: DialectName;
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
  classify(error: unknown): FailureKind;
  /** The row of the dialect's failure table that decided `classify`, with its meaning and fix. */
  describe(error: unknown): ClassifiedFailure;
  /** Closes connections; the dialect may be used again afterwards (it reconnects). */
  close(): Promise<void>;
}
