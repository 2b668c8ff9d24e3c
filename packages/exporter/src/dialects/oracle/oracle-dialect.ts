/**
 * Oracle through node-oracledb in thin mode (pure JavaScript, no client libraries): a fixed-size
 * pool, `executeMany` of one MERGE per table with `bindDefs`, in chunks, and `batchErrors`, so a
 * refused row is reported with its offset and costs only its own trace.
 */
import { schemaInstallStatements } from '@aitdr/schema';
import { QUERY_COLUMNS } from '../../mapping/rows.js';
import type { Dialect, FailureKind, RowError, StoreTransaction } from '../../store/dialect.js';
import { chunk, lockOtherSpansSql, selectQueryIdsSql, updateOtherSpansSql } from '../../store/sql.js';
import { DEFAULTS } from '../../types.js';
import type { OracleStoreOptions } from '../../types.js';
import { loadOracleDriver } from './oracle-driver.js';
import type { OracleConnection, OracleDriver, OraclePool } from './oracle-driver.js';
import { classifyOracleFailure } from './oracle-failures.js';
import { ORACLE_SYNTAX, executeBind, mergeBinds, mergeSql } from './oracle-statements.js';

/** Seconds busy connections get to finish when the pool closes. */
const CLOSE_DRAIN_SECONDS = 10;

export class OracleDialect implements Dialect {
  readonly name = 'oracle';
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
    const connection = await pool.getConnection();
    connection.callTimeout = this.statementTimeoutMs;
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

  classify(error: unknown): FailureKind {
    return classifyOracleFailure(error);
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
    const pool = await driver.createPool({
      user: this.options.user,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      connectString: this.options.connectString,
      poolMin: size,
      poolMax: size,
      poolIncrement: 0,
      queueTimeout: this.options.queueTimeoutMs ?? DEFAULTS.oracle.queueTimeoutMs,
    });
    if (this.installSchema) {
      try {
        await install(pool, this.statementTimeoutMs);
      } catch (error) {
        await pool.close(0).catch(() => undefined);
        throw error;
      }
    }
    return { driver, pool };
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
    };
  }
}

async function install(pool: OraclePool, callTimeout: number): Promise<void> {
  const connection = await pool.getConnection();
  connection.callTimeout = callTimeout;
  try {
    // Each CREATE runs in a block that ignores "already exists", so installing twice is harmless.
    for (const statement of schemaInstallStatements('oracle')) await connection.execute(statement);
    await connection.commit();
  } finally {
    await connection.close().catch(() => undefined);
  }
}
