/**
 * The embedded store: better-sqlite3 on one file, WAL journal, foreign keys on. Writes run on a
 * thread of its own (`SqliteThread`), so inserts and the fsync of each commit never stop the event
 * loop of the program that records. Each batch runs as one `BEGIN IMMEDIATE … COMMIT`; batches run
 * one at a time (a readiness probe waits for the batch under way); a batch's inserts go to the
 * thread in one message, sent before the next read or the commit. Reads open the file read-only
 * on the caller's thread (a reader never creates a file or takes the write lock) and go through
 * `iterate()`, so only the row at hand is in memory; a reader opened with `ownThread` reads on a
 * `SqliteThread` instead, a batch at a time, the thread reading the next while the caller handles one.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { generatedOr } from '@aitdr/conventions';
import { SCHEMA_VERSION_QUERY, upgradeStatements } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { writableColumns } from '../../mapping/rows.js';
import type { Row } from '../../mapping/rows.js';
import type { RowValue } from '../../mapping/values.js';
import { dateToIso } from '../../mapping/values.js';
import type {
  BindValue,
  ConflictAction,
  Dialect,
  FailureKind,
  RowError,
  StoreTransaction,
} from '../../store/dialect.js';
import { insertSql, lockOtherSpansSql, selectQueryIdsSql, updateOtherSpansSql } from '../../store/sql.js';
import type { SqlSyntax } from '../../store/sql.js';
import { prepareSchema, versionOf } from '../../store/schema-check.js';
import { DEFAULTS } from '../../types.js';
import type { SqliteStoreOptions } from '../../types.js';
import { classifySqliteFailure, describeSqliteFailure } from './sqlite-failures.js';
import type { ClassifiedFailure } from '../../store/failure-table.js';
import { SQLITE_DRIVER, loadSqliteDriver } from './sqlite-driver.js';
import type { SqliteDatabase } from './sqlite-driver.js';
import { SqliteThread } from './sqlite-thread.js';
import type { SqliteWrite } from './sqlite-thread.js';

export const SQLITE_SYNTAX: SqlSyntax = { placeholder: () => '?', lockRows: '' };

/**
 * SQLite has no boolean type: booleans are stored as 0/1 (the schema checks `IN (0, 1)`); instants
 * as the exporter's ISO text, which compares in time order.
 */
function bindSqlite(value: BindValue): string | number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return dateToIso(value);
  return value;
}

async function readVersion(thread: SqliteThread): Promise<number | undefined> {
  const present = await thread.all<[string]>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'AI_SCHEMA_VERSION'",
    [],
  );
  if (present.length === 0) return undefined;
  const [row] = await thread.all<[unknown]>(SCHEMA_VERSION_QUERY, []);
  return versionOf(row?.[0]);
}

async function upgrade(thread: SqliteThread): Promise<void> {
  // IMMEDIATE takes the write lock first, so two processes opening one new file install once.
  await thread.exec('BEGIN IMMEDIATE');
  try {
    for (const statement of upgradeStatements('sqlite', await readVersion(thread)))
      await thread.exec(statement);
    await thread.exec('COMMIT');
  } catch (error) {
    await thread.rollback().catch(() => undefined);
    throw error;
  }
}

export class SqliteDialect implements Dialect {
  readonly name = 'sqlite';
  readonly syntax = SQLITE_SYNTAX;
  /** Set once connected: the schema version found. */
  private installedVersion = 0;
  private readonly filename: string;
  private readonly busyTimeoutMs: number;
  private readonly driverModule: string;
  private thread: Promise<SqliteThread> | undefined;
  /** The read-only connection of the reading side, on this thread or (`ownThread`) its own. */
  private reading: SqliteDatabase | SqliteThread | undefined;
  /** The transaction under way: one connection runs one at a time. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    options: SqliteStoreOptions,
    private readonly installSchema: boolean,
  ) {
    this.filename = options.filename === ':memory:' ? options.filename : resolve(options.filename);
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULTS.sqlite.busyTimeoutMs;
    this.driverModule = options.driver ?? SQLITE_DRIVER;
  }

  bind(value: BindValue): unknown {
    return bindSqlite(value);
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const result = this.turn.then(() => this.transactionNow(work));
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async transactionNow<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const thread = await this.connect();
    // BEGIN IMMEDIATE rides with the transaction's first message: it takes the write lock before
    // any statement of it runs, so a busy database fails there (and is retried), not mid-batch.
    const tx = new SqliteTransaction(thread);
    try {
      const result = await work(tx);
      await tx.commit();
      return result;
    } catch (error) {
      await thread.rollback().catch(() => undefined);
      throw error;
    }
  }

  async schemaVersion(): Promise<number> {
    await this.connect();
    return this.installedVersion;
  }

  classify(error: unknown): FailureKind {
    return classifySqliteFailure(error);
  }

  describe(error: unknown): ClassifiedFailure {
    return describeSqliteFailure(error);
  }

  async openReading(options: { readonly ownThread?: boolean } = {}): Promise<void> {
    // Loaded only here, so readers of another store need not install better-sqlite3.
    const Driver = await loadSqliteDriver(this.driverModule);
    // SQLite's own words for it are "unable to open database file", which names nothing.
    if (this.filename !== ':memory:' && !existsSync(this.filename)) {
      throw new Error(`no such file: ${this.filename}`);
    }
    this.reading =
      options.ownThread === true
        ? await SqliteThread.open(this.driverModule, {
            filename: this.filename,
            busyTimeoutMs: this.busyTimeoutMs,
            pragmas: [],
            install: [],
            readonly: true,
          })
        : new Driver(this.filename, {
            readonly: true,
            fileMustExist: true,
            timeout: this.busyTimeoutMs,
          });
  }

  async *stream(
    sql: string,
    binds: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<Record<string, unknown>> {
    const connection = this.readingConnection();
    if (connection instanceof SqliteThread) {
      for await (const rows of connection.cursor(sql, binds, batchSize)) yield* rows;
      return;
    }
    const statement = connection.prepare(sql);
    let count = 0;
    // iterate() is synchronous: give the event loop a turn every batch (progress, signals, drains).
    for (const row of statement.iterate(...binds) as Iterable<Record<string, unknown>>) {
      yield row;
      if (++count % batchSize === 0) await nextTurn();
    }
  }

  async tableNames(): Promise<Set<string>> {
    const names: unknown[] = [];
    for await (const row of this.stream(
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')",
      [],
      500,
    ))
      names.push(row.name);
    return new Set(names.map((name) => String(name).toUpperCase()));
  }

  async close(): Promise<void> {
    const reading = this.reading;
    this.reading = undefined;
    await reading?.close();
    const thread = this.thread;
    this.thread = undefined;
    await this.turn;
    await (await thread?.catch(() => undefined))?.close();
  }

  private readingConnection(): SqliteDatabase | SqliteThread {
    if (this.reading === undefined) throw new Error('the SQLite reader is closed');
    return this.reading;
  }

  private async connect(): Promise<SqliteThread> {
    const current = await this.thread?.catch(() => undefined);
    if (current?.alive) return current;
    this.thread = this.open();
    return this.thread;
  }

  private async open(): Promise<SqliteThread> {
    const thread = await SqliteThread.open(this.driverModule, {
      filename: this.filename,
      busyTimeoutMs: this.busyTimeoutMs,
      // page_size first: it takes effect only on a file still empty (a new database), before WAL
      // mode writes its header; an existing file keeps its own. 8 KiB pages hold a model
      // interaction's row (prompt and response text, a few KiB) without overflow pages: writing
      // the benchmark's rows cost the SQLite thread ~12% less CPU than with 4 KiB pages (a replay
      // of the in-process batches, alternating runs), a quarter less system time.
      // FULL: a commit the exporter reports is on disk, not only in the WAL's page cache.
      pragmas: ['page_size = 8192', 'journal_mode = WAL', 'foreign_keys = ON', 'synchronous = FULL'],
      install: [],
    });
    try {
      this.installedVersion = await prepareSchema(
        { readVersion: () => readVersion(thread), upgrade: () => upgrade(thread) },
        this.installSchema,
        `sqlite:${this.filename}`,
      );
    } catch (error) {
      await thread.close().catch(() => undefined);
      throw error;
    }
    return thread;
  }
}

/** A row's value as SQLite binds it: no value is NULL, a boolean 0/1. */
function bindValue(value: RowValue | undefined): RowValue {
  return value === undefined || value === null ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

type Binder = (row: Row) => RowValue[];

/** Per table: a row's binds, in the order of its writable columns (the insert's). */
const binders = new WeakMap<TableDef, Binder>();

/**
 * One array literal of the row's columns read by name, generated per table: rows of a table share
 * one shape, so each read is a plain property load; a loop over the names read every column by a
 * computed key (9× the CPU per row, ~470 against ~50 ns, on the benchmark's rows). A literal's
 * array is packed, as the structured clone to the thread needs (see `insert`).
 */
function binderOf(table: TableDef): Binder {
  let binder = binders.get(table);
  if (binder === undefined) {
    const names = writableColumns(table).map((c) => c.name);
    const items = names.map((name) => `bind(row[${JSON.stringify(name)}])`).join(', ');
    binder = generatedOr<Binder>(
      (row) => {
        const values: RowValue[] = [];
        for (const name of names) values.push(bindValue(row[name]));
        return values;
      },
      `return (row) => [${items}];`,
      'bind',
      bindValue,
    );
    binders.set(table, binder);
  }
  return binder;
}

/**
 * One `BEGIN IMMEDIATE … COMMIT` on the thread, in as few messages as the batch allows: BEGIN
 * goes with the first read (or with the commit), held inserts and OTHER_SPANS updates go with the
 * next read or with the COMMIT. A batch that reads nothing is one message. A row the database
 * refuses fails its message, which fails the batch as an insert failing at once would.
 */
class SqliteTransaction implements StoreTransaction {
  private pending: SqliteWrite[] = [];
  private begun = false;

  constructor(private readonly thread: SqliteThread) {}

  insert(table: TableDef, rows: readonly Row[], onConflict: ConflictAction): Promise<readonly RowError[]> {
    const binder = binderOf(table);
    const extra = onConflict.kind === 'update' ? onConflict.where.equals : undefined;
    // Packed arrays only (array literals, or filled by push): a holey one, as `new Array(n)` makes,
    // the structured clone to the thread writes as a sparse array, key by key (3× the CPU to send,
    // 1.8× to receive, measured on arrays of a batch's shape).
    const bound: RowValue[][] = [];
    for (const row of rows) {
      const values = binder(row);
      if (extra !== undefined) values.push(extra);
      bound.push(values);
    }
    this.pending.push({ sql: insertSql(SQLITE_SYNTAX, table, 1, onConflict), rows: bound });
    return Promise.resolve([]);
  }

  /** Sends the held statements, then the query if any, in one message; resolves with the query's rows. */
  private async send<Row extends unknown[]>(
    query?: { sql: string; params: readonly RowValue[] },
    end?: string,
  ): Promise<{ changes: number; rows: Row[] | undefined }> {
    const statements = this.pending;
    this.pending = [];
    const begin = this.begun ? undefined : 'BEGIN IMMEDIATE';
    this.begun = true;
    return this.thread.batch<Row>({
      ...(begin === undefined ? {} : { begin }),
      statements,
      ...(query === undefined ? {} : { query }),
      ...(end === undefined ? {} : { end }),
    });
  }

  /** Sends what is held with the COMMIT. */
  async commit(): Promise<void> {
    await this.send(undefined, 'COMMIT');
  }

  async existingQueryIds(ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.send<[string]>({
      sql: selectQueryIdsSql(SQLITE_SYNTAX, ids.length),
      params: ids,
    });
    return new Set((rows ?? []).map(([id]) => id));
  }

  async lockOtherSpans(ids: readonly string[]): Promise<Map<string, unknown[] | null>> {
    const { rows } = await this.send<[string, string | null]>({
      sql: lockOtherSpansSql(SQLITE_SYNTAX, ids.length),
      params: ids,
    });
    return new Map(
      (rows ?? []).map(([id, json]) => [id, json === null ? null : (JSON.parse(json) as unknown[])]),
    );
  }

  /** Held like the inserts: sent with the next read or the commit, whose failure fails the batch. */
  updateOtherSpans(queryId: string, json: string): Promise<void> {
    this.pending.push({ sql: updateOtherSpansSql(SQLITE_SYNTAX), rows: [[json, queryId]] });
    return Promise.resolve();
  }

  async change(sql: string, binds: readonly BindValue[]): Promise<number> {
    await this.send();
    return this.thread.write([{ sql, rows: [binds.map(bindSqlite)] }]);
  }

  async count(sql: string, binds: readonly BindValue[]): Promise<number> {
    const { rows } = await this.send<[number]>({ sql, params: binds.map(bindSqlite) });
    return Number(rows?.[0]?.[0] ?? 0);
  }
}
