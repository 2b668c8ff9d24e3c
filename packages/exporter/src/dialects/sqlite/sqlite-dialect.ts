/**
 * The embedded store: better-sqlite3 on one file, WAL journal, foreign keys on. Writes are
 * synchronous, so each batch runs as one short `BEGIN IMMEDIATE … COMMIT` and the event loop gets
 * control back between batches (the batch size bounds how long one blocks).
 */
import { resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { schemaInstallStatements } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { writableColumns } from '../../mapping/rows.js';
import type { Row } from '../../mapping/rows.js';
import type {
  ConflictAction,
  Dialect,
  FailureKind,
  RowError,
  StoreTransaction,
} from '../../store/dialect.js';
import { insertSql, lockOtherSpansSql, selectQueryIdsSql, updateOtherSpansSql } from '../../store/sql.js';
import type { SqlSyntax } from '../../store/sql.js';
import { DEFAULTS } from '../../types.js';
import type { SqliteStoreOptions } from '../../types.js';
import { classifySqliteFailure } from './sqlite-failures.js';

type Database = BetterSqlite3.Database;

export const SQLITE_SYNTAX: SqlSyntax = { placeholder: () => '?', lockRows: '' };

/** SQLite has no boolean type: booleans are stored as 0/1 (the schema checks `IN (0, 1)`). */
const toSqlite = (value: Row[string]) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

export class SqliteDialect implements Dialect {
  readonly name = 'sqlite';
  private readonly filename: string;
  private readonly busyTimeoutMs: number;
  private database: Database | undefined;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    options: SqliteStoreOptions,
    private readonly installSchema: boolean,
  ) {
    this.filename = options.filename === ':memory:' ? options.filename : resolve(options.filename);
    this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULTS.sqlite.busyTimeoutMs;
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const database = await this.connect();
    // IMMEDIATE takes the write lock up front, so a busy database fails here (and is retried), not mid-batch.
    database.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(this.transactionOn(database));
      database.exec('COMMIT');
      return result;
    } catch (error) {
      if (database.inTransaction) database.exec('ROLLBACK');
      throw error;
    }
  }

  classify(error: unknown): FailureKind {
    return classifySqliteFailure(error);
  }

  close(): Promise<void> {
    this.statements.clear();
    this.database?.close();
    this.database = undefined;
    return Promise.resolve();
  }

  private async connect(): Promise<Database> {
    if (this.database) return this.database;
    // Loaded only here, so applications on another store need not install better-sqlite3.
    const { default: Driver } = await import('better-sqlite3');
    const database = new Driver(this.filename, { timeout: this.busyTimeoutMs });
    try {
      database.pragma('journal_mode = WAL');
      database.pragma('foreign_keys = ON');
      // FULL: a commit the exporter reports is on disk, not only in the WAL's page cache.
      database.pragma('synchronous = FULL');
      if (this.installSchema) {
        database
          .transaction(() => {
            for (const statement of schemaInstallStatements('sqlite')) database.exec(statement);
          })
          .immediate();
      }
    } catch (error) {
      database.close();
      throw error;
    }
    this.database = database;
    return database;
  }

  private prepare(database: Database, sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = database.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private transactionOn(database: Database): StoreTransaction {
    return {
      insert: (
        table: TableDef,
        rows: readonly Row[],
        onConflict: ConflictAction,
      ): Promise<readonly RowError[]> => {
        const statement = this.prepare(database, insertSql(SQLITE_SYNTAX, table, 1, onConflict));
        const columns = writableColumns(table);
        const extra = onConflict.kind === 'update' ? [onConflict.where.equals] : [];
        for (const row of rows) statement.run(...columns.map((c) => toSqlite(row[c.name] ?? null)), ...extra);
        return Promise.resolve([]);
      },
      existingQueryIds: (ids) => {
        const statement = this.prepare(database, selectQueryIdsSql(SQLITE_SYNTAX, ids.length)).raw(true);
        return Promise.resolve(new Set((statement.all(...ids) as [string][]).map(([id]) => id)));
      },
      lockOtherSpans: (ids) => {
        const statement = this.prepare(database, lockOtherSpansSql(SQLITE_SYNTAX, ids.length)).raw(true);
        const rows = statement.all(...ids) as [string, string | null][];
        return Promise.resolve(
          new Map(rows.map(([id, json]) => [id, json === null ? null : (JSON.parse(json) as unknown[])])),
        );
      },
      updateOtherSpans: (queryId, json) => {
        this.prepare(database, updateOtherSpansSql(SQLITE_SYNTAX)).run(json, queryId);
        return Promise.resolve();
      },
    };
  }
}
