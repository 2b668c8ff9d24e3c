import type { Readable } from 'node:stream';
import { loadDriver } from '../../store/failures.js';
import { DEFAULTS } from '../../types.js';
import type { OracleStoreOptions } from '../../types.js';

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

/** Column metadata handed to a `fetchTypeHandler`. */
export interface OracleFetchMetadata {
  readonly name: string;
  readonly dbType: OracleDbType;
}

export interface OracleQueryStreamOptions {
  readonly outFormat: number;
  /** Rows fetched per round trip. */
  readonly fetchArraySize: number;
  /** Says how a column is fetched; undefined keeps the default. */
  readonly fetchTypeHandler: (metadata: OracleFetchMetadata) => { readonly type: OracleDbType } | undefined;
}

export interface OracleConnection {
  /** Milliseconds one round trip may take. */
  callTimeout?: number;
  /** The schema unqualified names resolve in (ALTER SESSION SET CURRENT_SCHEMA), sent with the next call. */
  currentSchema?: string;
  execute(
    sql: string,
    binds?: readonly unknown[],
    options?: OracleExecuteOptions,
  ): Promise<{ readonly rows?: unknown[][]; readonly rowsAffected?: number }>;
  executeMany(
    sql: string,
    binds: readonly (readonly unknown[])[],
    options: OracleExecuteManyOptions,
  ): Promise<{ readonly rowsAffected?: number; readonly batchErrors?: readonly OracleBatchError[] }>;
  /** Rows of a query as an object-mode stream, fetched `fetchArraySize` at a time. */
  queryStream(sql: string, binds: readonly unknown[], options: OracleQueryStreamOptions): Readable;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** `drop: true` discards a connection that failed instead of returning it to the pool. */
  close(options?: { readonly drop?: boolean }): Promise<void>;
}

export interface OraclePoolAttributes {
  readonly user?: string;
  readonly password?: string;
  readonly connectString: string;
  readonly poolMin: number;
  readonly poolMax: number;
  readonly poolIncrement: number;
  readonly queueTimeout: number;
  /** Any other createPool attribute (wallet, configDir, externalAuth, …), from `poolAttributes`. */
  readonly [attribute: string]: unknown;
}

/**
 * What `createPool` gets: the caller's attributes, then the credentials, connect string and
 * sizing, written once for both sides. The writer's pool has a fixed size (no connection storms
 * when load changes, as Oracle recommends); the reader's grows from none to two.
 */
export function oraclePoolAttributes(
  options: OracleStoreOptions,
  purpose: 'write' | 'read',
): OraclePoolAttributes {
  const size = options.poolSize ?? DEFAULTS.oracle.poolSize;
  return {
    ...options.poolAttributes,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.password === undefined ? {} : { password: options.password }),
    connectString: options.connectString,
    ...(purpose === 'write'
      ? { poolMin: size, poolMax: size, poolIncrement: 0 }
      : { poolMin: 0, poolMax: 2, poolIncrement: 1 }),
    queueTimeout: options.queueTimeoutMs ?? DEFAULTS.oracle.queueTimeoutMs,
  };
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
  readonly OUT_FORMAT_OBJECT: number;
}

/** The `oracledb` module: the one handed in the store's options, else `import('oracledb')` in thin mode. */
export async function loadOracleDriver(options: OracleStoreOptions): Promise<OracleDriver> {
  if (options.driver !== undefined) return options.driver;
  // Loaded only when an Oracle store is used, so users of another store need not install
  // oracledb. The module name is a variable so TypeScript does not look for types this package
  // does not ship.
  const name = 'oracledb';
  const module = (await loadDriver(name, () => import(name))) as { default?: OracleDriver } & OracleDriver;
  return module.default ?? module;
}
