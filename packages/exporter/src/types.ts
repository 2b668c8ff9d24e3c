/**
 * Every option of the table exporter, each with its default. Defaults are applied once, in
 * `TableExporter`'s constructor, from `DEFAULTS` below.
 */
import type { OracleDriver } from './dialects/oracle/oracle-driver.js';
import type { PostgresDriver } from './dialects/postgres/postgres-driver.js';

/** The embedded store: one SQLite file, written in WAL mode. */
export interface SqliteStoreOptions {
  readonly dialect: 'sqlite';
  /** Database file; a relative path resolves against the working directory. `:memory:` for a private in-memory database. */
  readonly filename: string;
  /**
   * Milliseconds a write waits for another connection's lock (`busy_timeout`): SQLite's statement
   * timeout. `AITDR_STORE_STATEMENT_TIMEOUT_MS` sets it for a store URL. Default 5000.
   */
  readonly busyTimeoutMs?: number;
  /**
   * The better-sqlite3 module (or one with its API) to use, as a package name or an absolute path
   * to its entry file: the writer's thread loads it by that name, since a loaded module cannot
   * cross threads. Default `better-sqlite3`.
   */
  readonly driver?: string;
}

export interface PostgresStoreOptions {
  readonly dialect: 'postgres';
  /** `postgres://user@host:5432/database` (or `postgresql://`); `pg` also reads the `PG*` variables. */
  readonly connectionString: string;
  /** Overrides the URL's password. */
  readonly password?: string;
  /** Connections in the pool. Default 4. */
  readonly poolSize?: number;
  /** Milliseconds to wait for a connection. Default 5000. */
  readonly connectTimeoutMs?: number;
  /**
   * Longest a statement may run, enforced by the server (`statement_timeout`) and by the client
   * one second later (a server that stopped answering): then the batch fails as transient, is
   * retried and spooled, and the breaker counts it. `AITDR_STORE_STATEMENT_TIMEOUT_MS` sets it
   * for a store URL. Default 10000.
   */
  readonly statementTimeoutMs?: number;
  /** Rows per table sent as one JSON parameter of the batch's INSERT statement. Default 500. */
  readonly rowsPerStatement?: number;
  /** The `pg` module to use, already loaded (its default export). Default: `import('pg')`. */
  readonly driver?: PostgresDriver;
}

export interface OracleStoreOptions {
  readonly dialect: 'oracle';
  /** The database user; leave out with `poolAttributes.externalAuth` (wallet, OS) or a token. */
  readonly user?: string;
  readonly password?: string;
  /**
   * Where to connect, as node-oracledb takes it: an Easy Connect (Plus) string
   * (`host:1521/service?ssl_server_dn_match=on&wallet_location=/opt/wallet`,
   * `tcps://host:2484/service`), a full connect descriptor (`(DESCRIPTION=…)`), or a TNS alias
   * looked up in `tnsnames.ora` of `poolAttributes.configDir` (or `TNS_ADMIN`).
   */
  readonly connectString: string;
  /**
   * Any other `oracledb.createPool` attribute, passed as given: `configDir`, `walletLocation`,
   * `walletPassword`, `walletContent`, `sslServerDNMatch`, `sslServerCertDN`, `httpsProxy`,
   * `externalAuth`, `accessToken` (OAuth 2.0 / IAM token, with `externalAuth: true` in thick mode),
   * `homogeneous`, `stmtCacheSize`, `connectTimeout`, `expireTime`, `edition`, … The sizing the
   * exporter decides (`poolMin`, `poolMax`, `poolIncrement`, `queueTimeout`) comes from the
   * options below. Secrets belong in the environment: read them there and pass them here.
   */
  readonly poolAttributes?: Readonly<Record<string, unknown>>;
  /**
   * The schema that owns the tables, when the user is not its owner (a writer granted access by
   * sql/oracle/grants.sql): set as each session's `currentSchema` (ALTER SESSION SET CURRENT_SCHEMA).
   */
  readonly schema?: string;
  /** Connections in the pool, fixed (poolMin = poolMax, no growth or shrink). Default 4. */
  readonly poolSize?: number;
  /** Milliseconds a request waits for a pooled connection. Default 5000. */
  readonly queueTimeoutMs?: number;
  /**
   * Longest one round trip may take (`connection.callTimeout`, NJS-123 past it: transient).
   * `AITDR_STORE_STATEMENT_TIMEOUT_MS` sets it for a store URL. Default 10000.
   */
  readonly statementTimeoutMs?: number;
  /** Rows per `executeMany` call. Default 500. */
  readonly rowsPerCall?: number;
  /**
   * The `oracledb` module to use, already loaded. Default: `import('oracledb')` in thin mode. For
   * thick mode (native network encryption, old password verifiers, external authentication with
   * a wallet), call `oracledb.initOracleClient({ libDir })` first and pass the module here.
   */
  readonly driver?: OracleDriver;
}

export type StoreOptions = SqliteStoreOptions | PostgresStoreOptions | OracleStoreOptions;

export interface SpoolOptions {
  /** Where the spool's segment files live. Default `<stateDirectory>/spool`. */
  readonly directory?: string;
  /** Most bytes the spool holds; beyond it, with the store down, traces are dropped (counted). Default 256 MiB. */
  readonly maxBytes?: number;
  /** Size of one segment file; a segment is deleted once all its records are replayed. Default 16 MiB. */
  readonly segmentBytes?: number;
}

export interface RetryOptions {
  /** Retries of a batch after a transient error, before it is spooled. Default 3. */
  readonly retries?: number;
  /** Delay before the first retry; doubles each time, times a random factor between 1 and 2. Default 100. */
  readonly minDelayMs?: number;
  /** Longest delay between two retries. Default 2000. */
  readonly maxDelayMs?: number;
}

export interface BreakerOptions {
  /** Percentage of failed batches in the rolling window that opens the breaker. Default 50. */
  readonly errorThresholdPercentage?: number;
  /** Failed batches needed in the window before the breaker may open. Default 2. */
  readonly volumeThreshold?: number;
  /** Length of the rolling window the percentage is computed over. Default 10000. */
  readonly rollingWindowMs?: number;
  /** How long the breaker stays open before one trial batch is let through. Default 5000. */
  readonly resetTimeoutMs?: number;
}

export interface ParkingOptions {
  /** Where parked traces are kept. Default `<stateDirectory>/parked`. */
  readonly directory?: string;
  /** Most bytes of parked traces; beyond it a trace to park is dead-lettered instead. Default 64 MiB. */
  readonly maxBytes?: number;
  /** How often parked traces are tried again. Default 5000. */
  readonly retryIntervalMs?: number;
  /** Tries (the first write included) before a parked trace is dead-lettered. Default 60. */
  readonly maxAttempts?: number;
  /** Age after which a parked trace is dead-lettered, whatever its tries. Default 86400000 (one day). */
  readonly maxAgeMs?: number;
  /**
   * Also park spans of no stage whose query row is not stored yet, instead of ignoring them, when
   * the trace's root is not among them: where several collectors share a store, a trace's library
   * spans may reach one instance and its query span another, which writes it a moment later.
   * (Spans of no stage that include their root are a trace of their own, no recorder trace:
   * ignored at once, so other traffic costs no parking.) When the tries run out they are counted
   * as ignored, not dead-lettered. Default false (in-process, a trace's spans all reach the same
   * exporter).
   */
  readonly unattachedSpans?: boolean;
}

export interface DeadLetterOptions {
  /** Where `dead-letters.jsonl` is written. Default `<stateDirectory>/dead-letter`. */
  readonly directory?: string;
  /** Most bytes of the dead-letter file; beyond it dead letters are dropped (counted). Default 1 GiB. */
  readonly maxBytes?: number;
}

export interface TableExporterOptions {
  /**
   * The store: a URL (`sqlite:./training.db`, `sqlite:/abs/path.db`, `postgres://user@host:5432/db`,
   * `postgresql://…`, `oracle://user@host:1521/service`) or typed options. A URL without a
   * password takes `AITDR_STORE_PASSWORD` from the environment.
   */
  readonly store: string | StoreOptions;
  /**
   * Install or upgrade the schema on connecting (idempotent, under a lock). Without it the schema
   * version is only checked: a missing or older schema is a `SchemaNotReadyError` (install it with
   * `aitdr-schema install`). Default: true for SQLite (the embedded store owns its file), false for
   * PostgreSQL and Oracle, whose schema belongs to their owner; `AITDR_INSTALL_SCHEMA=1` sets it.
   */
  readonly installSchema?: boolean;
  /**
   * Directory for the spool, parked traces and dead letters, unless each names its own.
   * Default `./.aitdr/<dialect>-<hash of the store>` under the working directory.
   */
  readonly stateDirectory?: string;
  /**
   * Traces written per transaction. Default 128: besides its rows' pages, a commit writes again
   * the partly filled pages of every table and index it touches, so fewer, larger transactions
   * write fewer pages; a larger batch's mapping would hold the event loop longer.
   */
  readonly batchSize?: number;
  /**
   * Milliseconds a write waits for more traces to fill its transaction when fewer than
   * `batchSize` are queued: a burst then costs a few large transactions instead of many small
   * ones. Never waited out by `forceFlush`, `shutdown` or a `require: 'committed'` write. 0 writes
   * at once. Default 100: the SDK's processor sends its next traces once the last ones are
   * kept, so with a query recorded every 2 ms or so a transaction holds about 110 traces (55 at
   * 50 ms) and the SQLite thread spends about a sixth less CPU per query (fewer commits: WAL
   * frames and fsyncs); only the commit waits, never the request path.
   */
  readonly lingerMs?: number;
  /** Traces held in memory waiting for the store; more go straight to the spool. Default 2048. */
  readonly maxQueuedTraces?: number;
  /** How often a non-empty spool is tried again while the breaker is closed. Default 1000. */
  readonly replayIntervalMs?: number;
  readonly spool?: SpoolOptions;
  readonly retry?: RetryOptions;
  readonly breaker?: BreakerOptions;
  readonly parking?: ParkingOptions;
  readonly deadLetter?: DeadLetterOptions;
}

const MiB = 1024 * 1024;

/** The defaults documented above, in one place. */
export const DEFAULTS = {
  installSchema: { sqlite: true, postgres: false, oracle: false },
  batchSize: 128,
  lingerMs: 100,
  maxQueuedTraces: 2048,
  replayIntervalMs: 1000,
  spool: { maxBytes: 256 * MiB, segmentBytes: 16 * MiB },
  retry: { retries: 3, minDelayMs: 100, maxDelayMs: 2000 },
  breaker: {
    errorThresholdPercentage: 50,
    volumeThreshold: 2,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 5000,
  },
  parking: {
    maxBytes: 64 * MiB,
    retryIntervalMs: 5000,
    maxAttempts: 60,
    maxAgeMs: 24 * 60 * 60 * 1000,
    unattachedSpans: false,
  },
  deadLetter: { maxBytes: 1024 * MiB },
  sqlite: { busyTimeoutMs: 5000 },
  postgres: { poolSize: 4, connectTimeoutMs: 5000, statementTimeoutMs: 10_000, rowsPerStatement: 500 },
  oracle: { poolSize: 4, queueTimeoutMs: 5000, statementTimeoutMs: 10_000, rowsPerCall: 500 },
} as const;
