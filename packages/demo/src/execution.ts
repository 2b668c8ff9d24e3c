import type { ExecutionFields } from '@aitdr/conventions';
import type Database from 'better-sqlite3';

export interface ExecutionOptions {
  /** Rows kept in `resultSample`. Default 5. */
  sampleRows?: number;
  /** Recorded as `db.namespace`. Default `main`. */
  dbNamespace?: string;
}

export type ResultRow = readonly unknown[];

export interface ExecutionResult {
  readonly fields: ExecutionFields;
  /** Every returned row, as arrays in column order; absent when the SQL failed. */
  readonly rows?: readonly ResultRow[];
  /** SQLite's error message when the SQL failed: the span's status message. */
  readonly errorMessage?: string;
  readonly durationMs: number;
}

/**
 * Runs SQL on the sample database and reports what happened: rows, columns, a sample, or
 * SQLite's own error code and message. Open `db` read-only (`openSampleDatabase`): the policy
 * check comes first, and the connection is the second line of defence.
 */
export function executeQuery(
  db: Database.Database,
  sql: string,
  options: ExecutionOptions = {},
): ExecutionResult {
  const sampleRows = options.sampleRows ?? 5;
  const base: ExecutionFields = {
    queryText: sql,
    dbSystem: 'sqlite',
    dbNamespace: options.dbNamespace ?? 'main',
    operationName: 'SELECT',
  };
  const started = performance.now();
  try {
    const statement = db.prepare(sql);
    if (!statement.reader) {
      return {
        fields: { ...base, success: false, errorType: 'not_a_query', errorCode: 'NOT_A_QUERY' },
        errorMessage: 'the statement returns no rows',
        durationMs: performance.now() - started,
      };
    }
    const rows = statement.raw(true).all() as unknown[][];
    const columnNames = statement.columns().map((column) => column.name);
    return {
      rows,
      durationMs: performance.now() - started,
      fields: {
        ...base,
        success: true,
        returnedRows: rows.length,
        columnNames,
        resultSample: JSON.stringify(rows.slice(0, sampleRows)),
      },
    };
  } catch (error) {
    const code = sqliteErrorCode(error);
    return {
      durationMs: performance.now() - started,
      fields: { ...base, success: false, errorType: code, errorCode: code },
      errorMessage: error instanceof Error ? error.message : String(error),
    };
  }
}

/** better-sqlite3 raises `SqliteError` with SQLite's code (`SQLITE_ERROR`, `SQLITE_READONLY`, …). */
function sqliteErrorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'SQLITE_ERROR';
}
