/**
 * One better-sqlite3 connection on a worker thread of its own. better-sqlite3 is synchronous: on
 * the caller's thread every insert, and the fsync of every commit, would stop the application's
 * (or the collector's) event loop for the length of the batch. Here the thread that maps the next
 * batch goes on while this one writes. The worker only prepares and runs the SQL text it is sent,
 * so all SQL stays built in one place (the dialect).
 *
 * A batch's statements cross to the thread in one message (`batch`): BEGIN with the first read or
 * write, the held inserts with the next read or with the COMMIT, not one message per statement. Each row crosses as a plain array
 * of its values: in a micro-benchmark of one batch's binds, one JSON text (4×) and a columnar
 * encoding (kinds, numbers, one text with lengths; 2×) cost more CPU than the structured clone of
 * the arrays, encoding and decoding counted.
 */
import { Worker } from 'node:worker_threads';
import type { RowValue } from '../../mapping/values.js';
import { DriverUnavailableError, isDriverLoadFailure } from '../../store/failures.js';
import { resolveSqliteDriver } from './sqlite-driver.js';

/** Plain JavaScript, evaluated by the worker: no build step, no loader needed to start it. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let database;
// Not named 'statements': a write message has a field of that name, destructured below.
const prepared = new Map();
function prepare(sql) {
  let statement = prepared.get(sql);
  if (statement === undefined) {
    statement = database.prepare(sql);
    prepared.set(sql, statement);
  }
  return statement;
}
function open({ filename, busyTimeoutMs, pragmas, install, readonly }) {
  const opened = new Database(filename, { timeout: busyTimeoutMs, readonly: readonly === true, fileMustExist: readonly === true });
  try {
    for (const pragma of pragmas) opened.pragma(pragma);
    if (install.length > 0) opened.transaction(() => { for (const sql of install) opened.exec(sql); }).immediate();
  } catch (error) {
    opened.close();
    throw error;
  }
  database = opened;
}
function write(statements) {
  let changes = 0;
  for (const { sql, rows } of statements) {
    const statement = prepare(sql);
    // Spread, not the array itself: better-sqlite3 reads an array's values one by one through the
    // V8 API; as arguments they cost the insert about a quarter fewer instructions (callgrind, 26 columns).
    for (const row of rows) changes += statement.run(...row).changes;
  }
  return changes;
}
function batch({ begin, statements, query, end }) {
  if (begin !== undefined) database.exec(begin);
  const changes = write(statements);
  const rows = query === undefined ? undefined : prepare(query.sql).raw(true).all(...query.params);
  if (end !== undefined) database.exec(end);
  return { changes, rows };
}
// A reader's statements, read a batch ahead: the next batch is read once the last one is sent.
const cursors = new Map();
let nextCursor = 0;
function readAhead(cursor) {
  try {
    const rows = [];
    let step;
    while (rows.length < cursor.size && !(step = cursor.iterator.next()).done) rows.push(step.value);
    cursor.ahead = { cursor: cursor.id, rows, done: rows.length < cursor.size };
  } catch (error) {
    cursor.ahead = { error };
  }
}
function openCursor(sql, params, size) {
  const cursor = { id: nextCursor++, iterator: database.prepare(sql).iterate(...params), size };
  cursors.set(cursor.id, cursor);
  readAhead(cursor);
  return cursor;
}
function takeBatch(cursor) {
  const batch = cursor.ahead;
  cursor.ahead = undefined;
  if (batch.error !== undefined || batch.done) cursors.delete(cursor.id);
  if (batch.error !== undefined) throw batch.error;
  return batch;
}
function closeCursors() {
  for (const cursor of cursors.values()) cursor.iterator.return();
  cursors.clear();
}
parentPort.on('message', ({ id, op, sql, statements, params, options, steps, cursor: cursorId, size }) => {
  let reading;
  try {
    let result;
    if (op === 'open') open(options);
    else if (database === undefined) throw new Error('The database connection is not open');
    else if (op === 'exec') database.exec(sql);
    else if (op === 'rollback') { if (database.inTransaction) database.exec('ROLLBACK'); }
    else if (op === 'write') result = write(statements);
    else if (op === 'batch') result = batch(steps);
    else if (op === 'all') result = prepare(sql).raw(true).all(...params);
    else if (op === 'cursor' || op === 'next') {
      const cursor = op === 'cursor' ? openCursor(sql, params, size) : cursors.get(cursorId);
      if (cursor === undefined) throw new Error('The statement was closed');
      result = takeBatch(cursor);
      if (!result.done) reading = cursor;
    }
    else if (op === 'closeCursor') { cursors.get(cursorId)?.iterator.return(); cursors.delete(cursorId); }
    else if (op === 'close') { closeCursors(); prepared.clear(); database.close(); database = undefined; }
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
  if (reading !== undefined) readAhead(reading);
});
`;

export interface SqliteOpenOptions {
  readonly filename: string;
  readonly busyTimeoutMs: number;
  /** Run in order on the new connection, e.g. `journal_mode = WAL`. */
  readonly pragmas: readonly string[];
  /** Statements run in one IMMEDIATE transaction after the pragmas (the schema install); may be empty. */
  readonly install: readonly string[];
  /** Opens an existing file read-only (a reader): no file is created, no write lock taken. */
  readonly readonly?: boolean;
}

/** One statement of a `write`, run once per row of binds. */
export interface SqliteWrite {
  readonly sql: string;
  readonly rows: readonly (readonly RowValue[])[];
}

/**
 * Steps of one transaction run in one message, in this order: `begin`, the writes, the `query`,
 * `end`. A transaction's BEGIN rides with its first writes or read and its COMMIT with its last
 * writes, so a batch costs one or two round trips to the thread, not one per statement. The first
 * step that fails stops the rest (the caller rolls back).
 */
export interface SqliteBatch {
  readonly begin?: string;
  readonly statements: readonly SqliteWrite[];
  readonly query?: { readonly sql: string; readonly params: readonly RowValue[] };
  readonly end?: string;
}

export interface SqliteBatchResult<Row> {
  /** Rows the writes changed. */
  readonly changes: number;
  /** The query's rows, each an array of its values; undefined without a query. */
  readonly rows: Row[] | undefined;
}

/** A batch of a cursor's rows; `done`: the last one (the thread has released the statement). */
interface CursorBatch {
  readonly cursor: number;
  readonly rows: readonly Record<string, unknown>[];
  readonly done: boolean;
}

interface Reply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { readonly message: string; readonly code?: string };
}

type Request =
  | { op: 'open'; options: SqliteOpenOptions }
  | { op: 'exec'; sql: string }
  | { op: 'rollback' }
  | { op: 'write'; statements: readonly SqliteWrite[] }
  | { op: 'all'; sql: string; params: readonly RowValue[] }
  | { op: 'cursor'; sql: string; params: readonly unknown[]; size: number }
  | { op: 'next'; cursor: number }
  | { op: 'closeCursor'; cursor: number }
  | { op: 'batch'; steps: SqliteBatch }
  | { op: 'close' };

/** An error as better-sqlite3 raised it in the worker: same message and `code` (what the dialect classifies). */
function sqliteError(error: { message: string; code?: string }): Error {
  return Object.assign(new Error(error.message), error.code === undefined ? {} : { code: error.code });
}

export class SqliteThread {
  private readonly pending = new Map<
    number,
    { resolve(result: unknown): void; reject(error: Error): void }
  >();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.unref(); // kept alive only while a request is under way (see `request`)
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error) waiting?.reject(sqliteError(reply.error));
      else waiting?.resolve(reply.result);
    });
    const fail = (error: Error) => {
      // Classified as transient by the dialect: the next batch opens a new thread.
      this.failure = new Error(`The database connection is not open: ${error.message}`);
      for (const waiting of this.pending.values()) waiting.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite thread exited (${code})`)));
  }

  /** Starts the thread and opens the connection; rejects (with the thread stopped) when it cannot be opened. */
  static async open(driverModule: string, options: SqliteOpenOptions): Promise<SqliteThread> {
    // Resolved here, where the exporter's optional peer dependency is visible.
    const driver = await resolveSqliteDriver(driverModule);
    const thread = new SqliteThread(new Worker(WORKER_SOURCE, { eval: true, workerData: { driver } }));
    try {
      await thread.request({ op: 'open', options });
    } catch (error) {
      await thread.worker.terminate();
      // The thread loads the driver first: a native part built for another Node.js fails here.
      throw isDriverLoadFailure(error) ? new DriverUnavailableError(driverModule, error) : error;
    }
    return thread;
  }

  /** False once the thread has died: the connection has to be opened again. */
  get alive(): boolean {
    return this.failure === undefined;
  }

  exec(sql: string): Promise<void> {
    return this.request({ op: 'exec', sql }).then(() => undefined);
  }

  /** Rolls back the open transaction, if any. */
  rollback(): Promise<void> {
    return this.request({ op: 'rollback' }).then(() => undefined);
  }

  /** Runs each statement once per row of its binds, in order; resolves with the rows changed in all. */
  write(statements: readonly SqliteWrite[]): Promise<number> {
    if (statements.length === 0) return Promise.resolve(0);
    return this.request({ op: 'write', statements }) as Promise<number>;
  }

  /** Every row of a query, each as an array of its values. */
  all<Row extends unknown[]>(sql: string, params: readonly RowValue[]): Promise<Row[]> {
    return this.request({ op: 'all', sql, params }) as Promise<Row[]>;
  }

  /**
   * The rows of a query in batches of `size`, each row an object keyed by column name (a reader's
   * rows). The thread reads the next batch while the caller handles this one; leaving the loop
   * early releases the statement.
   */
  async *cursor(
    sql: string,
    params: readonly unknown[],
    size: number,
  ): AsyncIterable<readonly Record<string, unknown>[]> {
    let batch = (await this.request({ op: 'cursor', sql, params, size })) as CursorBatch;
    try {
      yield batch.rows;
      while (!batch.done) {
        batch = (await this.request({ op: 'next', cursor: batch.cursor })) as CursorBatch;
        yield batch.rows;
      }
    } finally {
      if (!batch.done) await this.request({ op: 'closeCursor', cursor: batch.cursor }).catch(() => undefined);
    }
  }

  /** Runs the steps in one message (see `SqliteBatch`). */
  batch<Row extends unknown[]>(steps: SqliteBatch): Promise<SqliteBatchResult<Row>> {
    return this.request({ op: 'batch', steps }) as Promise<SqliteBatchResult<Row>>;
  }

  async close(): Promise<void> {
    if (this.alive) await this.request({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request(request: Request): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, ...request });
    });
  }
}
