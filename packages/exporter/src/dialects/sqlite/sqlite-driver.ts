/**
 * The part of better-sqlite3 the SQLite dialect uses, declared here so the core and the public
 * types never name the driver package's types, and tests can hand another module.
 */
import { createRequire } from 'node:module';
import { loadDriver } from '../../store/failures.js';

/** The driver package the SQLite store loads unless `SqliteStoreOptions.driver` names another. */
export const SQLITE_DRIVER = 'better-sqlite3';

export interface SqliteStatement {
  /** Rows one at a time, as objects keyed by column name. */
  iterate(...binds: unknown[]): IterableIterator<unknown>;
  /** The same statement, giving each row's first column only. */
  pluck(): SqliteStatement;
  all(...binds: unknown[]): unknown[];
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

export interface SqliteConnectOptions {
  readonly readonly?: boolean;
  readonly fileMustExist?: boolean;
  /** `busy_timeout` in milliseconds. */
  readonly timeout?: number;
}

/** The module's export: a database connection's constructor. */
export type SqliteDriver = new (filename: string, options?: SqliteConnectOptions) => SqliteDatabase;

/**
 * Loads the driver module on this thread. `module` is a package name or an absolute path (what
 * the writer's thread is handed too: a module object cannot cross to another thread).
 */
export function loadSqliteDriver(module: string): Promise<SqliteDriver> {
  return loadDriver(module, () => Promise.resolve(createRequire(import.meta.url)(module) as SqliteDriver));
}

/** The module's entry file, for the writer's thread to `require`. */
export function resolveSqliteDriver(module: string): Promise<string> {
  return loadDriver(module, () => Promise.resolve(createRequire(import.meta.url).resolve(module)));
}
