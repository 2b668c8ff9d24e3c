/**
 * The part of the `pg` module the PostgreSQL dialect uses, declared here so the core and the
 * public types never name the driver package's types, and tests can hand a module of their own.
 */
import { loadDriver } from '../../store/failures.js';
import { DEFAULTS } from '../../types.js';
import type { PostgresStoreOptions } from '../../types.js';

export interface PostgresQueryConfig {
  readonly text: string;
  readonly values?: unknown[];
  /** `array`: each row as an array of its values. */
  readonly rowMode?: 'array';
}

export interface PostgresQueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number | null;
}

/** Something `client.query` runs and hands back itself (pg-query-stream's cursor). */
export interface PostgresSubmittable {
  submit(connection: unknown): void;
}

export interface PostgresQueryable {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresQueryResult<Row>>;
  query<Row = Record<string, unknown>>(config: PostgresQueryConfig): Promise<PostgresQueryResult<Row>>;
}

export interface PostgresClient extends PostgresQueryable {
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<PostgresQueryResult<Row>>;
  query<Row = Record<string, unknown>>(config: PostgresQueryConfig): Promise<PostgresQueryResult<Row>>;
  query<S extends PostgresSubmittable>(stream: S): S;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  /** Returns the client to the pool; with an error, destroys it instead. */
  release(error?: Error | boolean): void;
}

export interface PostgresPool extends PostgresQueryable {
  connect(): Promise<PostgresClient>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}

export interface PostgresPoolConfig {
  readonly connectionString: string;
  readonly password?: string;
  readonly max: number;
  readonly connectionTimeoutMillis: number;
  readonly statement_timeout?: number;
  readonly query_timeout?: number;
  readonly idleTimeoutMillis: number;
  readonly allowExitOnIdle: boolean;
  readonly application_name: string;
}

/** How a column's text is parsed, by type OID. */
export interface PostgresTypes {
  getTypeParser(oid: number, format?: 'text'): unknown;
}

/** The `pg` module (its default export). */
export interface PostgresDriver {
  readonly Pool: new (config: PostgresPoolConfig) => PostgresPool;
  readonly types: PostgresTypes;
}

/** The `pg` module: the one handed in the store's options, else `import('pg')`. */
export async function loadPostgresDriver(options: PostgresStoreOptions): Promise<PostgresDriver> {
  if (options.driver !== undefined) return options.driver;
  // Loaded only here, so applications on another store need not install pg.
  const module = (await loadDriver('pg', () => import('pg'))) as {
    default?: PostgresDriver;
  } & PostgresDriver;
  return module.default ?? module;
}

/**
 * The pool's settings, written once for both sides: the writer's pool is sized by the options and
 * bounds each statement; the reader's is two connections (a stream and a query) with no timeout,
 * since one export statement may run long.
 */
export function postgresPoolConfig(
  options: PostgresStoreOptions,
  purpose: 'write' | 'read',
): PostgresPoolConfig {
  const statementTimeout = options.statementTimeoutMs ?? DEFAULTS.postgres.statementTimeoutMs;
  return {
    connectionString: options.connectionString,
    ...(options.password === undefined ? {} : { password: options.password }),
    max: purpose === 'write' ? (options.poolSize ?? DEFAULTS.postgres.poolSize) : 2,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULTS.postgres.connectTimeoutMs,
    ...(purpose === 'write'
      ? {
          statement_timeout: statementTimeout,
          // Also bounded on the client: a server that stopped answering must not hold a batch forever.
          query_timeout: statementTimeout + 1000,
        }
      : {}),
    idleTimeoutMillis: 10_000,
    // The pool must not keep the host program alive.
    allowExitOnIdle: true,
    application_name: purpose === 'write' ? 'aitdr-exporter' : 'aitdr-reader',
  };
}
