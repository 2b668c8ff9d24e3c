/**
 * Reading PostgreSQL: a small `pg` pool; rows stream through a server-side cursor
 * (pg-query-stream), so a large table never sits in memory at once.
 */
import { once } from 'node:events';
import type pg from 'pg';
import type QueryStream from 'pg-query-stream';
import { dateToIso, normalizeIsoTimestamp } from '../../mapping/values.js';
import type { BindValue, ReaderDialect } from '../../read/reader-dialect.js';
import { loadDriver } from '../../store/failures.js';
import { DEFAULTS } from '../../types.js';
import type { PostgresStoreOptions } from '../../types.js';

/** Type OIDs read differently from pg's defaults. */
const OID = { int8: 20, numeric: 1700, json: 114, jsonb: 3802, timestamptz: 1184 } as const;

/**
 * Counts and NUMERIC columns as numbers (pg gives text, to keep precision the stats do not need);
 * JSON as its text, as SQLite and Oracle give it; instants in the portable ISO form with their
 * microseconds (a Date would keep milliseconds).
 */
function readParser(oid: number): ((text: string) => unknown) | undefined {
  switch (oid) {
    case OID.int8:
    case OID.numeric:
      return Number;
    case OID.json:
    case OID.jsonb:
      return (text) => text;
    case OID.timestamptz:
      return (text) => normalizeIsoTimestamp(text) ?? text;
    default:
      return undefined;
  }
}

export class PostgresReader implements ReaderDialect {
  readonly name = 'postgres';
  private pool: pg.Pool | undefined;
  private QueryStream: typeof QueryStream | undefined;
  private types: { getTypeParser(oid: number, format?: string): unknown } | undefined;

  constructor(private readonly options: PostgresStoreOptions) {}

  placeholder(position: number): string {
    return `$${position}`;
  }

  /** Instants as the portable text, which PostgreSQL reads as timestamptz. */
  bind(value: BindValue): unknown {
    return value instanceof Date ? dateToIso(value) : value;
  }

  async open(): Promise<void> {
    // Loaded only here, so readers of another store need not install pg or pg-query-stream.
    const [{ default: driver }, { default: Stream }] = await Promise.all([
      loadDriver('pg', () => import('pg')),
      loadDriver('pg-query-stream', () => import('pg-query-stream')),
    ]);
    this.QueryStream = Stream;
    const defaults = driver.types;
    this.types = {
      getTypeParser: (oid: number, format?: string): unknown =>
        readParser(oid) ?? (defaults.getTypeParser(oid, format as 'text') as unknown),
    };
    this.pool = new driver.Pool({
      connectionString: this.options.connectionString,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      max: 2,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? DEFAULTS.postgres.connectTimeoutMs,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'aitdr-reader',
    });
    // An idle client losing its connection is reported here; unhandled, it would crash the host.
    this.pool.on('error', () => undefined);
    await this.pool.query('SELECT 1');
  }

  async *stream(
    sql: string,
    binds: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<Record<string, unknown>> {
    const { pool, QueryStream: Stream } = this.connected();
    const client = await pool.connect();
    const stream = client.query(new Stream(sql, [...binds], { batchSize, types: this.types }));
    let failure: Error | undefined;
    try {
      for await (const row of stream) yield row as Record<string, unknown>;
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      // Leaving early closes the cursor before the client goes back to the pool.
      if (!stream.closed) {
        const closed = once(stream, 'close').catch(() => undefined);
        stream.destroy();
        await closed;
      }
      client.release(failure);
    }
  }

  async tableNames(): Promise<Set<string>> {
    const { pool } = this.connected();
    const result = await pool.query<{ name: string }>(
      'SELECT UPPER(table_name) AS name FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false))',
    );
    return new Set(result.rows.map((row) => row.name));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private connected(): { pool: pg.Pool; QueryStream: typeof QueryStream } {
    if (this.pool === undefined || this.QueryStream === undefined) {
      throw new Error('the PostgreSQL reader is closed');
    }
    return { pool: this.pool, QueryStream: this.QueryStream };
  }
}
