import type { DialectName } from '@aitdr/schema';

/** A value bound to a read statement; each dialect converts it for its driver. */
export type BindValue = string | number | boolean | Date | null;

/**
 * One store, for reading. The table reader talks to a database only through this; the drivers
 * stay in `dialects/<name>/`. Rows come back as the driver gives them; the reader normalises
 * their keys and values in one place.
 */
export interface ReaderDialect {
  readonly name: DialectName;
  /** The placeholder of the bind at 1-based `position`: `?`, `$1`, `:1`. */
  placeholder(position: number): string;
  /** A bind as the driver wants it: booleans and instants differ between the stores. */
  bind(value: BindValue): unknown;
  /** Connects (loading the driver) and checks the store answers. */
  open(): Promise<void>;
  /** Rows of one query, fetched `batchSize` at a time; leaving the loop early releases the statement. */
  stream(sql: string, binds: readonly unknown[], batchSize: number): AsyncIterable<Record<string, unknown>>;
  /** Names (upper case) of the tables and views the connection sees. */
  tableNames(): Promise<Set<string>>;
  close(): Promise<void>;
}
