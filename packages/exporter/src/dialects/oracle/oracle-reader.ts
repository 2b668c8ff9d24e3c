/**
 * Reading Oracle through node-oracledb in thin mode: a small pool; rows through `queryStream`
 * as objects, `fetchArraySize` at a time, with CLOB columns fetched as text.
 */
import { once } from 'node:events';
import type { BindValue, ReaderDialect } from '../../read/reader-dialect.js';
import { DEFAULTS } from '../../types.js';
import type { OracleStoreOptions } from '../../types.js';
import { loadOracleDriver, oraclePoolAttributes } from './oracle-driver.js';
import type { OracleDriver, OracleFetchMetadata, OraclePool } from './oracle-driver.js';
import { ORACLE_SYNTAX } from './oracle-statements.js';

/** Seconds a running fetch gets to finish when the pool closes. */
const CLOSE_DRAIN_SECONDS = 5;

export class OracleReader implements ReaderDialect {
  readonly name = 'oracle';
  private connected: { driver: OracleDriver; pool: OraclePool } | undefined;

  constructor(private readonly options: OracleStoreOptions) {}

  placeholder(position: number): string {
    return ORACLE_SYNTAX.placeholder(position);
  }

  /** Booleans are NUMBER(1) columns; a Date binds as a timestamp, which compares with the columns. */
  bind(value: BindValue): unknown {
    return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }

  async open(): Promise<void> {
    const driver = this.options.driver ?? (await loadOracleDriver());
    const pool = await driver.createPool(
      oraclePoolAttributes(this.options, {
        poolMin: 0,
        poolMax: 2,
        poolIncrement: 1,
        queueTimeout: this.options.queueTimeoutMs ?? DEFAULTS.oracle.queueTimeoutMs,
      }),
    );
    this.connected = { driver, pool };
    // Check the store answers now, not at the first statement.
    const connection = await pool.getConnection();
    await connection.close();
  }

  async *stream(
    sql: string,
    binds: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<Record<string, unknown>> {
    const { driver, pool } = this.requireOpen();
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
      if (!stream.closed) {
        const closed = once(stream, 'close').catch(() => undefined);
        stream.destroy();
        await closed;
      }
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
    const connected = this.connected;
    this.connected = undefined;
    await connected?.pool.close(CLOSE_DRAIN_SECONDS);
  }

  private requireOpen(): { driver: OracleDriver; pool: OraclePool } {
    if (this.connected === undefined) throw new Error('the Oracle reader is closed');
    return this.connected;
  }
}
