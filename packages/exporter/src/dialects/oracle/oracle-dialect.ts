/**
 * Oracle through node-oracledb in thin mode (pure JavaScript, no client libraries): a fixed-size
 * pool, `executeMany` of one MERGE per table with `bindDefs`, in chunks, and `batchErrors`, so a
 * refused row is reported with its offset and costs only its own trace.
 */
import { SCHEMA_VERSION_QUERY, upgradeStatements } from '@aitdr/schema';
import { QUERY_COLUMNS } from '../../mapping/rows.js';
import type { Dialect, FailureKind, RowError, StoreTransaction } from '../../store/dialect.js';
import { chunk, lockOtherSpansSql, selectQueryIdsSql, updateOtherSpansSql } from '../../store/sql.js';
import { prepareSchema, versionOf } from '../../store/schema-check.js';
import { storeLabel } from '../../store-url.js';
import { DEFAULTS } from '../../types.js';
import type { OracleStoreOptions } from '../../types.js';
import { loadOracleDriver, oraclePoolAttributes } from './oracle-driver.js';
import type { OracleConnection, OracleDriver, OraclePool } from './oracle-driver.js';
import { classifyOracleFailure, describeOracleFailure } from './oracle-failures.js';
import type { ClassifiedFailure } from '../../store/failure-table.js';
import { ORACLE_SYNTAX, executeBind, mergeBinds, mergeSql } from './oracle-statements.js';

/** Seconds busy connections get to finish when the pool closes. */
const CLOSE_DRAIN_SECONDS = 10;

export class OracleDialect implements Dialect {
  readonly name = 'oracle';
  /** Set once connected: the schema version found. */
  private installedVersion = 0;
  private readonly rowsPerCall: number;
  private readonly statementTimeoutMs: number;
  private connected: Promise<{ driver: OracleDriver; pool: OraclePool }> | undefined;

  constructor(
    private readonly options: OracleStoreOptions,
    private readonly installSchema: boolean,
  ) {
    this.rowsPerCall = options.rowsPerCall ?? DEFAULTS.oracle.rowsPerCall;
    this.statementTimeoutMs = options.statementTimeoutMs ?? DEFAULTS.oracle.statementTimeoutMs;
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

  async close(): Promise<void> {
    const connected = await this.connected?.catch(() => undefined);
    this.connected = undefined;
    await connected?.pool.close(CLOSE_DRAIN_SECONDS);
  }

  private connect(): Promise<{ driver: OracleDriver; pool: OraclePool }> {
    this.connected ??= this.createPool().catch((error: unknown) => {
      this.connected = undefined; // connect again on the next batch
      throw error;
    });
    return this.connected;
  }

  private async createPool(): Promise<{ driver: OracleDriver; pool: OraclePool }> {
    const driver = this.options.driver ?? (await loadOracleDriver());
    const size = this.options.poolSize ?? DEFAULTS.oracle.poolSize;
    // A fixed-size pool: no connection storms when load changes, as Oracle recommends.
    const pool = await driver.createPool(
      oraclePoolAttributes(this.options, {
        poolMin: size,
        poolMax: size,
        poolIncrement: 0,
        queueTimeout: this.options.queueTimeoutMs ?? DEFAULTS.oracle.queueTimeoutMs,
      }),
    );
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
      change: async (sql, binds) => (await connection.execute(sql, binds)).rowsAffected ?? 0,
      count: async (sql, binds) => Number((await connection.execute(sql, binds)).rows?.[0]?.[0] ?? 0),
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
