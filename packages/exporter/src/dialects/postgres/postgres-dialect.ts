/**
 * PostgreSQL through a `pg` Pool: a batch's inserts as one statement (each table's rows as one
 * JSON parameter, `ON CONFLICT` as before; see postgres-batch.ts), one transaction per batch on
 * one pooled client, `SELECT … FOR UPDATE` before merging OTHER_SPANS. Reads go through
 * a small pool of their own; rows stream through a server-side cursor (pg-query-stream), so a
 * large table never sits in memory at once.
 */
import { diag } from '@opentelemetry/api';
import type QueryStream from 'pg-query-stream';
import { AI_TRAINING_QUERIES, SCHEMA_VERSION_QUERY, upgradeStatements } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { QUERY_COLUMNS, writableColumns } from '../../mapping/rows.js';
import { dateToIso, normalizeIsoTimestamp } from '../../mapping/values.js';
import type {
  BindValue,
  ConflictAction,
  Dialect,
  FailureKind,
  StoreTransaction,
} from '../../store/dialect.js';
import type { Row } from '../../mapping/rows.js';
import { lockOtherSpansSql, selectQueryIdsSql, updateOtherSpansSql } from '../../store/sql.js';
import type { SqlSyntax } from '../../store/sql.js';
import { prepareSchema, versionOf } from '../../store/schema-check.js';
import { storeLabel } from '../../store-url.js';
import { DEFAULTS } from '../../types.js';
import { closeStream } from '../close-stream.js';
import type { PostgresStoreOptions } from '../../types.js';
import { classifyPostgresFailure, describePostgresFailure } from './postgres-failures.js';
import type { ClassifiedFailure } from '../../store/failure-table.js';
import { loadDriver } from '../../store/failures.js';
import { insertStatement, overlaps, partsOf, sendInsert } from './postgres-batch.js';
import type { InsertPart, TransactionBlock } from './postgres-batch.js';
import { loadPostgresDriver, postgresPoolConfig } from './postgres-driver.js';
import type { PostgresClient, PostgresPool, PostgresQueryable, PostgresTypes } from './postgres-driver.js';

export const POSTGRES_SYNTAX: SqlSyntax = {
  placeholder: (position) => `$${position}`,
  lockRows: ' FOR UPDATE',
};

/** Serializes concurrent schema installs (two exporters starting on an empty database). */
const INSTALL_LOCK_KEY = 0x61_69_74_64; // "aitd"

const log = diag.createComponentLogger({ namespace: '@aitdr/exporter/postgres' });

/** A `\u0000` escape in JSON text (after an even number of backslashes, so not the text "\\u0000"). */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * PostgreSQL text (and jsonb) cannot hold U+0000, as a character or as a JSON escape. Found here,
 * before the server, so the dead letter's reason names the character and the column rather than
 * an encoding error or "unsupported Unicode escape sequence".
 */
function nulRefusal(table: string, column: string, value: unknown, json: boolean): Error | undefined {
  if (typeof value !== 'string') return undefined;
  // The regular expression runs only on JSON that holds the escape's text at all (rarely).
  if (!(value.includes('\u0000') || (json && value.includes('\\u0000') && NUL_ESCAPE.test(value))))
    return undefined;
  return new Error(`PostgreSQL text cannot hold U+0000 (NUL): ${table}.${column}`);
}

/** Per table: its writable columns' names in bind order, and which hold JSON. */
const bindColumns = new WeakMap<TableDef, { names: readonly string[]; json: readonly boolean[] }>();

function bindColumnsOf(table: TableDef): { names: readonly string[]; json: readonly boolean[] } {
  let found = bindColumns.get(table);
  if (found === undefined) {
    const columns = writableColumns(table);
    found = { names: columns.map((c) => c.name), json: columns.map((c) => c.type.kind === 'json') };
    bindColumns.set(table, found);
  }
  return found;
}

/**
 * Finds a row's U+0000 (see `nulRefusal`) and throws; only for a part whose JSON text holds the
 * escape at all (JSON.stringify writes U+0000 as it, and a JSON column's own escape contains it).
 */
function refuseNul(part: InsertPart): void {
  if (!part.unicodeEscapes || !part.json.includes('\\u0000')) return;
  const { names, json } = bindColumnsOf(part.table);
  for (const row of part.rows) {
    for (let c = 0; c < names.length; c++) {
      const refused = nulRefusal(part.table.name, names[c]!, row[names[c]!], json[c]!);
      if (refused) throw refused;
    }
  }
}

/**
 * The inserts of one transaction, held until another statement needs them written (a read, a lock,
 * an update) or the transaction ends, then sent as one statement (`insertStatement`). A transaction
 * that only inserts, as most batches do, is that one statement, atomic on its own: a small one is
 * sent without BEGIN and COMMIT, one round trip instead of three (a large one needs the block for
 * its plan setting: see `sendInsert`). A lookup before any write runs before the block begins:
 * under READ COMMITTED each statement reads what is committed when it starts, in a block or not.
 */
class PendingWrites implements TransactionBlock {
  /** Whether BEGIN was sent: the transaction holds more than one statement, or a large insert. */
  begun = false;
  private pending: InsertPart[] = [];

  constructor(
    private readonly client: PostgresClient,
    private readonly rowsPerPart: number,
  ) {}

  async add(table: TableDef, rows: readonly Row[], onConflict: ConflictAction): Promise<void> {
    if (rows.length === 0) return;
    for (const part of partsOf(table, rows, onConflict, this.rowsPerPart)) {
      // Like any row the server refuses, it fails the transaction: the batch is written again
      // trace by trace, and this row's trace is dead-lettered with the reason.
      refuseNul(part);
      if (overlaps(this.pending, part)) await this.flush();
      this.pending.push(part);
    }
  }

  /** Before a statement that belongs in the transaction (a lock, an update): writes what is held, in the block. */
  async flush(): Promise<void> {
    await this.write(false);
    await this.begin();
  }

  /** Before a lookup: writes what is held (which begins the block); with nothing written yet, no block is needed. */
  async beforeRead(): Promise<void> {
    await this.write(false);
  }

  private async begin(): Promise<void> {
    if (this.begun) return;
    await this.client.query('BEGIN');
    this.begun = true;
  }

  async commit(): Promise<void> {
    await this.write(true);
    if (this.begun) await this.client.query('COMMIT');
  }

  private async write(last: boolean): Promise<void> {
    if (this.pending.length === 0) return;
    const statement = insertStatement(this.pending);
    this.pending = [];
    await sendInsert(this.client, statement, this, last);
  }
}

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

/** The reading side: its pool, the cursor class and the read parsers. */
interface Reading {
  readonly pool: PostgresPool;
  readonly QueryStream: typeof QueryStream;
  readonly types: PostgresTypes;
}

export class PostgresDialect implements Dialect {
  readonly name = 'postgres';
  readonly syntax = POSTGRES_SYNTAX;
  /** Set once connected: the schema version found. */
  private installedVersion = 0;
  private readonly rowsPerStatement: number;
  private pool: Promise<PostgresPool> | undefined;
  private reading: Reading | undefined;

  constructor(
    private readonly options: PostgresStoreOptions,
    private readonly installSchema: boolean,
  ) {
    this.rowsPerStatement = options.rowsPerStatement ?? DEFAULTS.postgres.rowsPerStatement;
  }

  /** Instants as the portable text, which PostgreSQL reads as timestamptz; booleans as they are. */
  bind(value: BindValue): unknown {
    return value instanceof Date ? dateToIso(value) : value;
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const client = await (await this.connect()).connect();
    // A connection lost between two statements is reported as an 'error' event on the checked-out
    // client (unhandled, it would crash the host); the next statement fails with it anyway.
    const onError = (error: Error) => log.debug(`connection lost during a transaction: ${error.message}`);
    client.on('error', onError);
    const writes = new PendingWrites(client, this.rowsPerStatement);
    let failure: unknown;
    try {
      const result = await work(this.transactionOn(client, writes));
      await writes.commit();
      return result;
    } catch (error) {
      failure = error;
      // On a connection that timed out or failed, a ROLLBACK would wait out the timeout again,
      // holding the write lane: the connection is destroyed below and the server rolls back.
      if (writes.begun && this.classify(error) !== 'transient')
        await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A client whose connection failed must not go back to the pool.
      const broken = failure !== undefined && this.classify(failure) === 'transient';
      client.off('error', onError);
      client.release(broken ? (failure as Error) : undefined);
    }
  }

  async schemaVersion(): Promise<number> {
    await this.connect();
    return this.installedVersion;
  }

  classify(error: unknown): FailureKind {
    return classifyPostgresFailure(error);
  }

  describe(error: unknown): ClassifiedFailure {
    return describePostgresFailure(error);
  }

  async openReading(): Promise<void> {
    // Loaded only here, so readers of another store need not install pg-query-stream.
    const [driver, { default: Stream }] = await Promise.all([
      loadPostgresDriver(this.options),
      loadDriver('pg-query-stream', () => import('pg-query-stream')),
    ]);
    const defaults = driver.types;
    const pool = new driver.Pool(postgresPoolConfig(this.options, 'read'));
    // An idle client losing its connection is reported here; unhandled, it would crash the host.
    pool.on('error', () => undefined);
    this.reading = {
      pool,
      QueryStream: Stream,
      types: {
        getTypeParser: (oid, format) => readParser(oid) ?? defaults.getTypeParser(oid, format),
      },
    };
    await pool.query('SELECT 1');
  }

  async *stream(
    sql: string,
    binds: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<Record<string, unknown>> {
    const { pool, QueryStream: Stream, types } = this.readingSide();
    const client = await pool.connect();
    const stream = client.query(new Stream(sql, [...binds], { batchSize, types }));
    let failure: Error | undefined;
    try {
      for await (const row of stream) yield row as Record<string, unknown>;
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      await closeStream(stream);
      client.release(failure);
    }
  }

  async tableNames(): Promise<Set<string>> {
    const result = await this.readingSide().pool.query<{ name: string }>(
      'SELECT UPPER(table_name) AS name FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false))',
    );
    return new Set(result.rows.map((row) => row.name));
  }

  async close(): Promise<void> {
    const reading = this.reading;
    this.reading = undefined;
    await reading?.pool.end();
    const pool = await this.pool?.catch(() => undefined);
    this.pool = undefined;
    await pool?.end();
  }

  private readingSide(): Reading {
    if (this.reading === undefined) throw new Error('the PostgreSQL reader is closed');
    return this.reading;
  }

  private connect(): Promise<PostgresPool> {
    this.pool ??= this.createPool().catch((error: unknown) => {
      this.pool = undefined; // connect again on the next batch
      throw error;
    });
    return this.pool;
  }

  private async createPool(): Promise<PostgresPool> {
    const driver = await loadPostgresDriver(this.options);
    const pool = new driver.Pool(postgresPoolConfig(this.options, 'write'));
    // An idle client losing its connection is reported here; unhandled, it would crash the host.
    pool.on('error', (error) => log.warn(`idle connection lost: ${error.message}`));
    try {
      this.installedVersion = await prepareSchema(
        { readVersion: () => readVersion(pool), upgrade: () => upgrade(pool) },
        this.installSchema,
        storeLabel(this.options),
      );
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return pool;
  }

  private transactionOn(client: PostgresClient, writes: PendingWrites): StoreTransaction {
    return {
      insert: async (table, rows, onConflict) => {
        await writes.add(table, rows, onConflict);
        return [];
      },
      existingQueryIds: async (ids) => {
        await writes.beforeRead();
        const result = await client.query<[string]>({
          text: selectQueryIdsSql(POSTGRES_SYNTAX, ids.length),
          values: [...ids],
          rowMode: 'array',
        });
        return new Set(result.rows.map(([id]) => id));
      },
      lockOtherSpans: async (ids) => {
        await writes.flush();
        // pg parses jsonb into JavaScript values.
        const result = await client.query<[string, unknown[] | null]>({
          text: lockOtherSpansSql(POSTGRES_SYNTAX, ids.length),
          values: [...ids],
          rowMode: 'array',
        });
        return new Map(result.rows.map(([id, spans]) => [id, spans]));
      },
      change: async (sql, binds) => {
        await writes.flush();
        return (
          (
            await client.query(
              sql,
              binds.map((b) => this.bind(b)),
            )
          ).rowCount ?? 0
        );
      },
      count: async (sql, binds) => {
        await writes.flush();
        const result = await client.query<[string]>({
          text: sql,
          values: binds.map((b) => this.bind(b)),
          rowMode: 'array',
        });
        return Number(result.rows[0]?.[0] ?? 0);
      },
      updateOtherSpans: async (queryId, json) => {
        const refused = nulRefusal(AI_TRAINING_QUERIES.name, QUERY_COLUMNS.otherSpans, json, true);
        if (refused) throw refused;
        await writes.flush();
        await client.query(updateOtherSpansSql(POSTGRES_SYNTAX), [json, queryId]);
      },
    };
  }
}

/** The schema version, or undefined without AI_SCHEMA_VERSION (looked up first: a failed SELECT would end a transaction). */
async function readVersion(client: PostgresQueryable): Promise<number | undefined> {
  const present = await client.query<{ present: boolean }>(
    "SELECT to_regclass('ai_schema_version') IS NOT NULL AS present",
  );
  if (present.rows[0]?.present !== true) return undefined;
  const result = await client.query<[unknown]>({ text: SCHEMA_VERSION_QUERY, rowMode: 'array' });
  return versionOf(result.rows[0]?.[0]);
}

async function upgrade(pool: PostgresPool): Promise<void> {
  const client = await pool.connect();
  const onError = (error: Error) => log.debug(`connection lost during the schema install: ${error.message}`);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [INSTALL_LOCK_KEY]);
    // Read under the lock: another process may have upgraded while this one waited.
    const installed = await readVersion(client);
    for (const statement of upgradeStatements('postgres', installed)) await client.query(statement);
    await client.query('COMMIT');
    client.off('error', onError);
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.off('error', onError);
    client.release(error as Error);
    throw error;
  }
}
