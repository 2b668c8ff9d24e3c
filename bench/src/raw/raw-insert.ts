/**
 * The limit the collector is measured against: the same rows, the same driver, the same schema
 * and the same durability settings, inserted directly in one transaction per batch of traces,
 * parents first, the fastest way known with each driver (SQLite: a prepared INSERT per row;
 * PostgreSQL: the exporter's own statement, each table's rows as one JSON text), with nothing else
 * to do: no HTTP, decoding, journal or mapping.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { insertStatement, rowsJson, sendInsert } from '@aitdr/exporter/internals';
import type { Row } from '@aitdr/exporter/internals';
import { TABLES, schemaInstallStatements } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { insertColumns, prepareSqliteInserts } from './mapped-rows.js';
import { postgresServerCpu } from './postgres-server-cpu.js';
import type { TraceRows } from './mapped-rows.js';

export interface RawInsertResult {
  readonly traces: number;
  readonly seconds: number;
  readonly tracesPerSecond: number;
  /** CPU time of this process (all threads) while inserting: the driver's share of the work. */
  readonly cpuMs: number;
  /** The database server's CPU while inserting (PostgreSQL, when it can be read). */
  readonly serverCpuMs?: number;
}

/** CPU milliseconds (user + system, every thread of the process) since `since`. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Rows of every table in a batch of traces, tables in foreign-key order. */
function rowsByTable<R>(traces: readonly ReadonlyMap<TableDef, readonly R[]>[]): [TableDef, R[]][] {
  return TABLES.flatMap((table) => {
    const rows = traces.flatMap((trace) => trace.get(table) ?? []);
    return rows.length > 0 ? [[table, rows] as [TableDef, R[]]] : [];
  });
}

/** SQLite: 8 KiB pages, WAL, foreign keys on, synchronous FULL, as the exporter's dialect sets them. */
export function rawSqliteInsert(
  filename: string,
  traces: readonly TraceRows[],
  batchSize: number,
): RawInsertResult {
  const database = new Database(filename);
  try {
    database.pragma('page_size = 8192'); // before WAL: it applies only to a file still empty
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = FULL');
    database.transaction(() => {
      for (const statement of schemaInstallStatements('sqlite')) database.exec(statement);
    })();
    const statements = prepareSqliteInserts(database);
    // SQLite has no boolean type: the exporter binds 0/1, and so does this.
    const bound = traces.map(
      (trace) =>
        new Map(
          [...trace].map(([table, rows]) => [
            table,
            rows.map((row) => row.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value))),
          ]),
        ),
    );
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (const batch of batches(bound, batchSize)) {
      database.exec('BEGIN IMMEDIATE');
      for (const [table, rows] of rowsByTable(batch)) {
        const statement = statements.get(table)!;
        for (const row of rows) statement.run(...row);
      }
      database.exec('COMMIT');
    }
    const cpuMs = cpuMsSince(cpu);
    const seconds = (performance.now() - started) / 1000;
    return { traces: traces.length, seconds, tracesPerSecond: traces.length / seconds, cpuMs };
  } finally {
    database.close();
  }
}

/**
 * PostgreSQL: one connection, one statement per transaction, as the exporter sends it: each
 * table's rows as one JSON text (`json_to_recordset`), the tables' inserts chained as CTEs, a
 * large batch on a generic plan (`sendInsert`). A multi-row INSERT with a parameter per value, the
 * limit before, was slower than the collector.
 */
export async function rawPostgresInsert(
  connectionString: string,
  traces: readonly TraceRows[],
  batchSize: number,
): Promise<RawInsertResult> {
  const server = await postgresServerCpu(connectionString);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const statement of schemaInstallStatements('postgres')) await client.query(statement);
    await client.query('COMMIT');
    // Rows keyed by column name, as the exporter holds them: made before the clock starts.
    const keyed = traces.map(
      (trace) =>
        new Map(
          [...trace].map(([table, rows]) => {
            const names = insertColumns(table).map((c) => c.name);
            return [
              table,
              rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])) as Row),
            ];
          }),
        ),
    );
    const serverBefore = server?.read();
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (const batch of batches(keyed, batchSize)) {
      const parts = rowsByTable(batch).map(([table, rows]) => ({
        table,
        onConflict: { kind: 'ignore' } as const,
        rows,
        ...rowsJson(rows),
      }));
      // As the exporter sends a transaction that only inserts: BEGIN only when the insert needs it.
      const block = { begun: false };
      await sendInsert(client, insertStatement(parts), block, true);
      if (block.begun) await client.query('COMMIT');
    }
    const cpuMs = cpuMsSince(cpu);
    const seconds = (performance.now() - started) / 1000;
    const serverCpuMs = serverBefore === undefined ? undefined : server!.read() - serverBefore;
    return {
      traces: traces.length,
      seconds,
      tracesPerSecond: traces.length / seconds,
      cpuMs,
      ...(serverCpuMs === undefined ? {} : { serverCpuMs }),
    };
  } finally {
    await client.end();
  }
}
