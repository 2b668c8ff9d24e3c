/**
 * Oracle through node-oracledb in thin mode (pure JavaScript, no client libraries): a fixed-size
 * pool, `executeMany` of one MERGE per table with `bindDefs`, in chunks, and `batchErrors`, so a
 * refused row is reported with its offset and costs only its own trace. Reads go through a small
 * pool of their own; rows through `queryStream` as objects, `fetchArraySize` at a time, with CLOB
 * columns fetched as text.
 */
import { SCHEMA_VERSION_QUERY, upgradeStatements } from '@aitdr/schema';
import { QUERY_COLUMNS } from '../../mapping/rows.js';
import type { BindValue, Dialect, FailureKind, RowError, StoreTransaction } from '../../store/dialect.js';
import { chunk, lockOtherSpansSql, selectQueryIdsSql, updateOtherSpansSql } from '../../store/sql.js';
import { prepareSchema, versionOf } from '../../store/schema-check.js';
import { storeLabel } from '../../store-url.js';
import { DEFAULTS } from '../../types.js';
import { closeStream } from '../close-stream.js';
import type { OracleStoreOptions } from '../../types.js';
import { loadOracleDriver, oraclePoolAttributes } from './oracle-driver.js';
import type { OracleConnection, OracleDriver, OracleFetchMetadata, OraclePool } from './oracle-driver.js';
import { classifyOracleFailure, describeOracleFailure } from './oracle-failures.js';
import type { ClassifiedFailure } from '../../store/failure-table.js';
import { ORACLE_SYNTAX, executeBind, mergeBinds, mergeSql, toOracleValue } from './oracle-statements.js';

/** Seconds busy connections get to finish when the pool closes. */
const CLOSE_DRAIN_SECONDS = 10;
/** Seconds a running fetch gets to finish when the reading pool closes. */
const READ_CLOSE_DRAIN_SECONDS = 5;

interface Connected {
  readonly driver: OracleDriver;
  readonly pool: OraclePool;
}

export class OracleDialect implements Dialect {
  readonly name = 'oracle';
  readonly syntax = ORACLE_SYNTAX;
  /** Set once connected: the schema version found. */
  private installedVersion = 0;
  private readonly rowsPerCall: number;
  private readonly statementTimeoutMs: number;
  private connected: Promise<Connected> | undefined;
  private reading: Connected | undefined;

  constructor(
    private readonly options: OracleStoreOptions,
    private readonly installSchema: boolean,
  ) {
    this.rowsPerCall = options.rowsPerCall ?? DEFAULTS.oracle.rowsPerCall;
    this.statementTimeoutMs = options.statementTimeoutMs ?? DEFAULTS.oracle.statementTimeoutMs;
  }

  /** Booleans are NUMBER(1) columns; a Date binds as a timestamp, which compares with the columns. */
  bind(value: BindValue): unknown {
    return value instanceof Date ? value : toOracleValue(value);
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const { driver, pool } = await this.connect();
    const connection = await this.checkOut(pool);
    let failure: unknown;
    try {
      const result = await work(this.transactionOn(driver, connection));
      await connection.commit();
      return result;
    } catch (error) {
      failure = error;
      await connection.rollback().catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed is dropped, not returned to the pool.
      const broken = failure !== undefined && this.classify(failure) === 'transient';
      await connection.close(broken ? { drop: true } : {}).catch(() => undefined);
    }
  }

  async schemaVersion(): Promise<number> {
    await this.connect();
    return this.installedVersion;
  }

  classify(error: unknown): FailureKind {
    return classifyOracleFailure(error);
  }

  describe(error: unknown): ClassifiedFailure {
    return describeOracleFailure(error);
  }

  async openReading(): Promise<void> {
    const driver = await loadOracleDriver(this.options);
    const pool = await driver.createPool(oraclePoolAttributes(this.options, 'read'));
    this.reading = { driver, pool };
    // Check the store answers now, not at the first statement.
    const connection = await pool.getConnection();
    await connection.close();
  }

  async *stream(
    sql: string,
    binds: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<Record<string, unknown>> {
    const { driver, pool } = this.readingSide();
    const connection = await pool.getConnection();
    if (this.options.schema !== undefined) connection.currentSchema = this.options.schema;
    const clob = driver.DB_TYPE_CLOB;
    const stream = connection.queryStream(sql, binds, {
      outFormat: driver.OUT_FORMAT_OBJECT,
      fetchArraySize: batchSize,
      // CLOBs would otherwise come as Lob objects, each a round trip of its own to read.
      fetchTypeHandler: (metadata: OracleFetchMetadata) =>
        metadata.dbType === clob ? { type: driver.DB_TYPE_VARCHAR } : undefined,
    });
    try {
      for await (const row of stream) yield row as Record<string, unknown>;
    } finally {
      await closeStream(stream);
      await connection.close();
    }
  }

  async tableNames(): Promise<Set<string>> {
    const names = new Set<string>();
    const sql =
      'SELECT TABLE_NAME AS NAME FROM USER_TABLES UNION ALL SELECT VIEW_NAME FROM USER_VIEWS ' +
      'UNION ALL SELECT SYNONYM_NAME FROM USER_SYNONYMS';
    for await (const row of this.stream(sql, [], 500)) names.add(String(row.NAME).toUpperCase());
    return names;
  }

  async close(): Promise<void> {
    const reading = this.reading;
    this.reading = undefined;
    await reading?.pool.close(READ_CLOSE_DRAIN_SECONDS);
    const connected = await this.connected?.catch(() => undefined);
    this.connected = undefined;
    await connected?.pool.close(CLOSE_DRAIN_SECONDS);
  }

  private readingSide(): Connected {
    if (this.reading === undefined) throw new Error('the Oracle reader is closed');
    return this.reading;
  }

  private connect(): Promise<Connected> {
    this.connected ??= this.createPool().catch((error: unknown) => {
      this.connected = undefined; // connect again on the next batch
      throw error;
    });
    return this.connected;
  }

  private async createPool(): Promise<Connected> {
    const driver = await loadOracleDriver(this.options);
    const pool = await driver.createPool(oraclePoolAttributes(this.options, 'write'));
    try {
      this.installedVersion = await this.withConnection(pool, (connection) =>
        prepareSchema(
          {
            readVersion: () => readVersion(connection),
            upgrade: () => upgrade(connection),
          },
          this.installSchema,
          storeLabel(this.options),
        ),
      );
    } catch (error) {
      await pool.close(0).catch(() => undefined);
      throw error;
    }
    return { driver, pool };
  }

  private async checkOut(pool: OraclePool): Promise<OracleConnection> {
    const connection = await pool.getConnection();
    connection.callTimeout = this.statementTimeoutMs;
    if (this.options.schema !== undefined) connection.currentSchema = this.options.schema;
    return connection;
  }

  private async withConnection<T>(pool: OraclePool, work: (c: OracleConnection) => Promise<T>): Promise<T> {
    const connection = await this.checkOut(pool);
    try {
      return await work(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  private transactionOn(driver: OracleDriver, connection: OracleConnection): StoreTransaction {
    const selectIds = async (sql: string, ids: readonly string[]) =>
      (
        await connection.execute(sql, ids, {
          outFormat: driver.OUT_FORMAT_ARRAY,
          fetchInfo: { [QUERY_COLUMNS.otherSpans]: { type: driver.DB_TYPE_VARCHAR } },
        })
      ).rows ?? [];
    return {
      insert: async (table, rows, onConflict) => {
        const sql = mergeSql(table, onConflict);
        const errors: RowError[] = [];
        for (const [index, part] of chunk(rows, this.rowsPerCall).entries()) {
          const { binds, bindDefs } = mergeBinds(driver, table, part, onConflict);
          const result = await connection.executeMany(sql, binds, {
            bindDefs,
            batchErrors: true,
            autoCommit: false,
          });
          const first = index * this.rowsPerCall;
          for (const error of result.batchErrors ?? []) errors.push({ index: first + error.offset, error });
        }
        return errors;
      },
      existingQueryIds: async (ids) => {
        const rows = await selectIds(selectQueryIdsSql(ORACLE_SYNTAX, ids.length), ids);
        return new Set(rows.map(([id]) => id as string));
      },
      lockOtherSpans: async (ids) => {
        const rows = await selectIds(lockOtherSpansSql(ORACLE_SYNTAX, ids.length), ids);
        return new Map(
          rows.map(([id, json]) => [
            id as string,
            typeof json === 'string' ? (JSON.parse(json) as unknown[]) : null,
          ]),
        );
      },
      updateOtherSpans: async (queryId, json) => {
        await connection.execute(updateOtherSpansSql(ORACLE_SYNTAX), [executeBind(driver, json), queryId]);
      },
      change: async (sql, binds) =>
        (
          await connection.execute(
            sql,
            binds.map((b) => this.bind(b)),
          )
        ).rowsAffected ?? 0,
      count: async (sql, binds) =>
        Number(
          (
            await connection.execute(
              sql,
              binds.map((b) => this.bind(b)),
            )
          ).rows?.[0]?.[0] ?? 0,
        ),
    };
  }
}

/** ORA-00942: table or view does not exist. */
const TABLE_MISSING = 942;

async function readVersion(connection: OracleConnection): Promise<number | undefined> {
  try {
    const result = await connection.execute(SCHEMA_VERSION_QUERY);
    return versionOf(result.rows?.[0]?.[0]);
  } catch (error) {
    if ((error as { errorNum?: unknown }).errorNum === TABLE_MISSING) return undefined;
    throw error;
  }
}

async function upgrade(connection: OracleConnection): Promise<void> {
  // Each CREATE runs in a block that ignores "already exists", so two installs at once are harmless.
  const installed = await readVersion(connection);
  for (const statement of upgradeStatements('oracle', installed)) await connection.execute(statement);
  await connection.commit();
}
