/**
 * Reading the embedded store: better-sqlite3 on the file, opened read-only (a reader never
 * creates a file or takes the write lock), rows through `iterate()`, so only the row at hand is
 * in memory.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { dateToIso } from '../../mapping/values.js';
import type { BindValue, ReaderDialect } from '../../read/reader-dialect.js';
import { loadDriver } from '../../store/failures.js';
import { DEFAULTS } from '../../types.js';
import type { SqliteStoreOptions } from '../../types.js';

export class SqliteReader implements ReaderDialect {
  readonly name = 'sqlite';
  private readonly filename: string;
  private database: BetterSqlite3.Database | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    this.filename = options.filename === ':memory:' ? options.filename : resolve(options.filename);
  }

  placeholder(): string {
    return '?';
  }

  /** Booleans are stored as 0/1 and instants as the exporter's ISO text, which compares in time order. */
  bind(value: BindValue): unknown {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return dateToIso(value);
    return value;
  }

  async open(): Promise<void> {
    // Loaded only here, so readers of another store need not install better-sqlite3.
    const { default: Driver } = await loadDriver('better-sqlite3', () => import('better-sqlite3'));
    // SQLite's own words for it are "unable to open database file", which names nothing.
    if (this.filename !== ':memory:' && !existsSync(this.filename)) {
      throw new Error(`no such file: ${this.filename}`);
    }
    this.database = new Driver(this.filename, {
      readonly: true,
      fileMustExist: true,
      timeout: this.options.busyTimeoutMs ?? DEFAULTS.sqlite.busyTimeoutMs,
    });
  }

  async *stream(
    sql: string,
    binds: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<Record<string, unknown>> {
    const statement = this.connection().prepare(sql);
    let count = 0;
    // iterate() is synchronous: give the event loop a turn every batch (progress, signals, drains).
    for (const row of statement.iterate(...binds) as Iterable<Record<string, unknown>>) {
      yield row;
      if (++count % batchSize === 0) await nextTurn();
    }
  }

  tableNames(): Promise<Set<string>> {
    const rows = this.connection()
      .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
      .pluck()
      .all() as string[];
    return Promise.resolve(new Set(rows.map((name) => name.toUpperCase())));
  }

  close(): Promise<void> {
    this.database?.close();
    this.database = undefined;
    return Promise.resolve();
  }

  private connection(): BetterSqlite3.Database {
    if (this.database === undefined) throw new Error('the SQLite reader is closed');
    return this.database;
  }
}
