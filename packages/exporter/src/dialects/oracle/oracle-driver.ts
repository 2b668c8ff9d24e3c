/**
 * The part of the `oracledb` module the Oracle dialect uses, declared here so the core never
 * imports the driver, `@types/oracledb` is not needed, and tests can stand in a fake.
 */

/** An `oracledb` DbType constant (`DB_TYPE_VARCHAR`, …); opaque to the exporter. */
export type OracleDbType = object;

export interface OracleBindDef {
  readonly type: OracleDbType;
  /** Longest value in bytes; required for strings in `executeMany`. */
  readonly maxSize?: number;
}

/** An error of one row of an `executeMany` with `batchErrors: true`. */
export interface OracleBatchError extends Error {
  /** Index of the row in the binds array. */
  readonly offset: number;
  readonly errorNum?: number;
  readonly code?: string;
}

export interface OracleExecuteOptions {
  readonly outFormat?: number;
  readonly fetchInfo?: Readonly<Record<string, { readonly type: OracleDbType }>>;
  readonly autoCommit?: boolean;
}

export interface OracleExecuteManyOptions {
  readonly bindDefs: readonly OracleBindDef[];
  readonly batchErrors: boolean;
  readonly autoCommit: boolean;
}

export interface OracleConnection {
  /** Milliseconds one round trip may take. */
  callTimeout?: number;
  execute(
    sql: string,
    binds?: readonly unknown[],
    options?: OracleExecuteOptions,
  ): Promise<{ readonly rows?: unknown[][] }>;
  executeMany(
    sql: string,
    binds: readonly (readonly unknown[])[],
    options: OracleExecuteManyOptions,
  ): Promise<{ readonly rowsAffected?: number; readonly batchErrors?: readonly OracleBatchError[] }>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** `drop: true` discards a connection that failed instead of returning it to the pool. */
  close(options?: { readonly drop?: boolean }): Promise<void>;
}

export interface OraclePoolAttributes {
  readonly user: string;
  readonly password?: string;
  readonly connectString: string;
  readonly poolMin: number;
  readonly poolMax: number;
  readonly poolIncrement: number;
  readonly queueTimeout: number;
}

export interface OraclePool {
  getConnection(): Promise<OracleConnection>;
  /** Closes the pool, giving busy connections `drainTime` seconds. */
  close(drainTime?: number): Promise<void>;
}

export interface OracleDriver {
  createPool(attributes: OraclePoolAttributes): Promise<OraclePool>;
  readonly DB_TYPE_VARCHAR: OracleDbType;
  readonly DB_TYPE_CLOB: OracleDbType;
  readonly DB_TYPE_NUMBER: OracleDbType;
  readonly OUT_FORMAT_ARRAY: number;
}
