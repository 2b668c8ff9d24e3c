/**
 * The embedded store: better-sqlite3 on one file, WAL journal, foreign keys on, on a thread of its
 * own (`SqliteThread`), so inserts and the fsync of each commit never stop the event loop of the
 * program that records. Each batch runs as one `BEGIN IMMEDIATE … COMMIT`; batches run one at a
 * time (a readiness probe waits for the batch under way).
 */
import { resolve } from 'node:path';
import { SCHEMA_VERSION_QUERY, upgradeStatements } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { writableColumns } from '../../mapping/rows.js';
import type { Row } from '../../mapping/rows.js';
import type { RowValue } from '../../mapping/values.js';
import type {
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
import { SqliteThread } from './sqlite-thread.js';

export const SQLITE_SYNTAX: SqlSyntax = { placeholder: () => '?', lockRows: '' };

/** SQLite has no boolean type: booleans are stored as 0/1 (the schema checks `IN (0, 1)`). */
const toSqlite = (value: RowValue) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

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
  /** Set once connected: the schema version found. */
  private installedVersion = 0;
  private readonly filename: string;
  private readonly busyTimeoutMs: number;
  private thread: Promise<SqliteThread> | undefined;
  /** The transaction under way: one connection runs one at a time. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    options: SqliteStoreOptions,
    private readonly installSchema: boolean,
  ) {
    this.filename = options.filename === ':memory:' ? options.filename : resolve(options.filename);
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULTS.sqlite.busyTimeoutMs;
  }

  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const result = this.turn.then(() => this.transactionNow(work));
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async transactionNow<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const thread = await this.connect();
    // IMMEDIATE takes the write lock up front, so a busy database fails here (and is retried), not mid-batch.
    await thread.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(this.transactionOn(thread));
      await thread.exec('COMMIT');
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

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await this.turn;
    await (await thread?.catch(() => undefined))?.close();
  }

  private async connect(): Promise<SqliteThread> {
    const current = await this.thread?.catch(() => undefined);
    if (current?.alive) return current;
    this.thread = this.open();
    return this.thread;
  }

  private async open(): Promise<SqliteThread> {
    const thread = await SqliteThread.open({
      filename: this.filename,
      busyTimeoutMs: this.busyTimeoutMs,
      // FULL: a commit the exporter reports is on disk, not only in the WAL's page cache.
      pragmas: ['journal_mode = WAL', 'foreign_keys = ON', 'synchronous = FULL'],
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

  private transactionOn(thread: SqliteThread): StoreTransaction {
    return {
      insert: async (
        table: TableDef,
        rows: readonly Row[],
        onConflict: ConflictAction,
      ): Promise<readonly RowError[]> => {
        const columns = writableColumns(table);
        const extra = onConflict.kind === 'update' ? [onConflict.where.equals] : [];
        await thread.run(
          insertSql(SQLITE_SYNTAX, table, 1, onConflict),
          rows.map((row) => [...columns.map((c) => toSqlite(row[c.name] ?? null)), ...extra]),
        );
        return [];
      },
      existingQueryIds: async (ids) => {
        const rows = await thread.all<[string]>(selectQueryIdsSql(SQLITE_SYNTAX, ids.length), ids);
        return new Set(rows.map(([id]) => id));
      },
      lockOtherSpans: async (ids) => {
        const rows = await thread.all<[string, string | null]>(
          lockOtherSpansSql(SQLITE_SYNTAX, ids.length),
          ids,
        );
        return new Map(
          rows.map(([id, json]) => [id, json === null ? null : (JSON.parse(json) as unknown[])]),
        );
      },
      updateOtherSpans: async (queryId, json) => {
        await thread.run(updateOtherSpansSql(SQLITE_SYNTAX), [[json, queryId]]);
      },
      change: (sql, binds) => thread.run(sql, [binds]),
      count: async (sql, binds) => Number((await thread.all<[number]>(sql, binds))[0]?.[0] ?? 0),
    };
  }
}
