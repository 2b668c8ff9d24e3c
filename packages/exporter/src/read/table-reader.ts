/**
 * Reading the nine tables back, on any of the three stores, for the dataset export and the stats
 * report: one statement at a time, streamed in batches so memory stays bounded however many rows
 * a store holds, every value a bind. The reader takes the store's `Dialect` (the reading side of
 * the one the exporter writes with); `openTableReader` makes it from a store URL.
 */
import { TABLES, TRAINING_EXAMPLES_VIEW } from '@aitdr/schema';
import type { DialectName } from '@aitdr/schema';
import { dateToIso } from '../mapping/values.js';
import type { BindValue, Dialect } from '../store/dialect.js';
import { errorCode, errorMessage } from '../store/failures.js';
import type { Environment } from '../store-url.js';

export type { BindValue } from '../store/dialect.js';

/**
 * A value as every store reads back: text, a number, a boolean (PostgreSQL's booleans; SQLite
 * and Oracle give 0/1), or null. Instants are ISO-8601 UTC text with six decimals
 * (`2026-11-25T08:00:00.123456Z`), JSON columns are JSON text, large integers are numbers.
 */
export type ReadValue = string | number | boolean | null;

/** One row, keyed by column name in upper case whichever store it came from. */
export type ReadRow = Readonly<Record<string, ReadValue>>;

/** Why a store cannot be read. */
export class StoreReadError extends Error {
  override readonly name: string = 'StoreReadError';
}

/** The store could not be opened: no such file, no connection, no driver. */
export class StoreOpenError extends StoreReadError {
  override readonly name = 'StoreOpenError';
}

/** The store answers but lacks tables or views the reader needs (no schema installed there). */
export class MissingTablesError extends StoreReadError {
  override readonly name = 'MissingTablesError';

  constructor(
    readonly store: string,
    readonly missing: readonly string[],
  ) {
    super(
      `${store} has no ${missing.join(', ')}: is it a training-data store? ` +
        'Record into it first (the demo, the SDK or the collector install the schema).',
    );
  }
}

/** The nine tables and the AI_TRAINING_EXAMPLES view: what the export and the stats read. */
export const READ_TABLES: readonly string[] = [...TABLES.map((table) => table.name), TRAINING_EXAMPLES_VIEW];

export interface TableReaderOptions {
  /** Tables and views that must exist, else `openTableReader` rejects with MissingTablesError. Default `READ_TABLES`. */
  requiredTables?: readonly string[];
  /** Rows fetched per round trip while streaming. Default 500. */
  batchSize?: number;
  /**
   * Reads a SQLite store on a thread of its own, a batch ahead: SQLite reads the next batch while
   * the caller handles one, and two readers' statements run side by side. The other stores'
   * readers never block the caller's thread and ignore it. Default false.
   */
  ownThread?: boolean;
  /** Supplies `AITDR_STORE_PASSWORD` for a URL without a password. Default `process.env`. */
  environment?: Environment;
}

/** Collects binds while a statement is built; `add` returns the placeholder for the value. */
export class Binds {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: Dialect) {}

  add(value: BindValue): string {
    this.values.push(this.dialect.bind(value));
    return this.dialect.syntax.placeholder(this.values.length);
  }
}

export interface TableReader {
  readonly dialect: DialectName;
  /** The store, password hidden, for messages. */
  readonly store: string;
  /** A fresh bind list; `binds.add(value)` gives the placeholder to put in the SQL. */
  binds(): Binds;
  /** Streams the rows of one query. SQLite runs one statement at a time: finish a stream before the next. */
  stream(sql: string, binds?: Binds): AsyncIterable<ReadRow>;
  /** Every row of a query whose result is small (aggregates). */
  query(sql: string, binds?: Binds): Promise<ReadRow[]>;
  close(): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * Reads a store through its dialect: opens the dialect's reading side and checks the tables are
 * there. `store` names it in messages (password hidden). Rejects with StoreOpenError when the
 * store cannot be reached, MissingTablesError when it lacks the schema; closes the dialect then.
 */
export async function readStore(
  dialect: Dialect,
  store: string,
  options: TableReaderOptions = {},
): Promise<TableReader> {
  try {
    await dialect.openReading({ ownThread: options.ownThread ?? false });
  } catch (error) {
    await dialect.close().catch(() => undefined);
    throw new StoreOpenError(`cannot open ${store}: ${describeError(error)}`, { cause: error });
  }
  try {
    const present = await dialect.tableNames();
    const missing = (options.requiredTables ?? READ_TABLES).filter((t) => !present.has(t.toUpperCase()));
    if (missing.length > 0) throw new MissingTablesError(store, missing);
  } catch (error) {
    await dialect.close().catch(() => undefined);
    if (error instanceof StoreReadError) throw error;
    throw new StoreOpenError(`cannot read ${store}: ${describeError(error)}`, { cause: error });
  }
  return new StoreTableReader(dialect, store, options.batchSize ?? DEFAULT_BATCH_SIZE);
}

/** A connection failure may be an AggregateError with no message of its own (one per address tried). */
function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) {
    return describeError(error.errors[0]);
  }
  return errorMessage(error) || errorCode(error) || String(error);
}

class StoreTableReader implements TableReader {
  constructor(
    private readonly reader: Dialect,
    readonly store: string,
    private readonly batchSize: number,
  ) {}

  get dialect(): DialectName {
    return this.reader.name;
  }

  binds(): Binds {
    return new Binds(this.reader);
  }

  async *stream(sql: string, binds?: Binds): AsyncIterable<ReadRow> {
    // Every row of a statement has the same columns: their upper-case names are found once.
    let names: ColumnNames | undefined;
    for await (const row of this.reader.stream(sql, binds?.values ?? [], this.batchSize)) {
      names ??= columnNames(row);
      yield normalizeRow(row, names);
    }
  }

  async query(sql: string, binds?: Binds): Promise<ReadRow[]> {
    const rows: ReadRow[] = [];
    for await (const row of this.stream(sql, binds)) rows.push(row);
    return rows;
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}

/** A statement's column names as the driver gives them, and whether all are upper case already. */
interface ColumnNames {
  readonly keys: readonly string[];
  readonly upper: readonly string[];
  readonly alreadyUpper: boolean;
}

function columnNames(row: Record<string, unknown>): ColumnNames {
  const keys = Object.keys(row);
  const upper = keys.map((key) => key.toUpperCase());
  return { keys, upper, alreadyUpper: keys.every((key, i) => key === upper[i]) };
}

/**
 * The row with upper-case names and values every store reads back. The driver's row is a fresh
 * object of this statement's: when its names are upper case already (SQLite, Oracle), its values
 * are normalised in place rather than copied into a new object per row.
 */
function normalizeRow(row: Record<string, unknown>, names: ColumnNames): ReadRow {
  const { keys, upper } = names;
  if (names.alreadyUpper) {
    for (const key of keys) {
      const value = row[key];
      if (value !== null && typeof value !== 'string' && typeof value !== 'number') {
        row[key] = normalizeValue(value);
      }
    }
    return row as ReadRow;
  }
  const normalized: Record<string, ReadValue> = {};
  for (let i = 0; i < keys.length; i++) normalized[upper[i]!] = normalizeValue(row[keys[i]!]);
  return normalized;
}

function normalizeValue(value: unknown): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return dateToIso(value);
  // A Buffer, or the plain bytes a Buffer becomes crossing from a reading thread.
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  // Parsed JSON (a driver that parses JSON columns) goes back to the text every store gives.
  return JSON.stringify(value);
}
