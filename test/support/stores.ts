/**
 * The stores the integration tests run on, each with a probe that reads rows back in one
 * normalized form: timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, booleans as booleans, numbers as
 * numbers, JSON parsed. The probes read with their own SQL, not through the exporter.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { TABLES } from '@aitdr/schema';
import type { ColumnDef, TableDef } from '@aitdr/schema';
import { createTemporaryDatabase } from './postgres.js';
import { createTemporaryDirectory } from './temp-dir.js';

export type StoredRow = Record<string, unknown>;

export interface StoreUnderTest {
  readonly dialect: 'sqlite' | 'postgres';
  /** The store URL to give the exporter. */
  readonly url: string;
  /** A directory for the exporter's spool, parking lot and dead letters. */
  readonly stateDirectory: string;
  rows(table: TableDef): Promise<StoredRow[]>;
  count(table: TableDef): Promise<number>;
  /** The first column of the first row of a query written with `?` placeholders. */
  scalar(sql: string, values?: unknown[]): Promise<unknown>;
  /** The first column of every row of a query written with `?` placeholders. */
  column(sql: string, values?: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

const tableByName = new Map(TABLES.map((t) => [t.name, t]));

function normalize(column: ColumnDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type.kind) {
    case 'boolean':
      return value === true || value === 1;
    case 'json':
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    case 'integer':
    case 'bigint':
    case 'double':
    case 'decimal':
      return Number(value);
    default:
      return value;
  }
}

export function normalizeRow(table: TableDef, row: StoredRow): StoredRow {
  return Object.fromEntries(
    table.columns.map((column) => {
      const value = row[column.name] ?? row[column.name.toLowerCase()];
      return [column.name, normalize(column, value)];
    }),
  );
}

export function sqliteStore(): Promise<StoreUnderTest> {
  const dir = createTemporaryDirectory('aitdr-exporter-sqlite-');
  const file = join(dir.path, 'training.db');
  let db: Database.Database | undefined;
  const open = () => (db ??= new Database(file, { readonly: false, timeout: 5000 }));
  return Promise.resolve({
    dialect: 'sqlite',
    url: `sqlite:${file}`,
    stateDirectory: join(dir.path, 'state'),
    rows: (table) =>
      Promise.resolve(
        (open().prepare(`SELECT * FROM ${table.name} ORDER BY START_TIME, 1`).all() as StoredRow[]).map((r) =>
          normalizeRow(table, r),
        ),
      ),
    count: (table) =>
      Promise.resolve((open().prepare(`SELECT COUNT(*) AS n FROM ${table.name}`).get() as { n: number }).n),
    scalar: (sql, values = []) =>
      Promise.resolve(
        open()
          .prepare(sql)
          .pluck()
          .get(...values),
      ),
    column: (sql, values = []) =>
      Promise.resolve(
        open()
          .prepare(sql)
          .pluck()
          .all(...values),
      ),
    close: () => {
      db?.close();
      dir.remove();
      return Promise.resolve();
    },
  });
}

/** Timestamps read as UTC text with microseconds, numerics as text (exact), the rest as pg gives them. */
function postgresSelectList(table: TableDef): string {
  return table.columns
    .map((c) =>
      c.type.kind === 'timestamp'
        ? `to_char(${c.name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${c.name}`
        : c.name,
    )
    .join(', ');
}

export async function postgresStore(): Promise<StoreUnderTest> {
  const database = await createTemporaryDatabase('aitdr_exporter');
  const dir = createTemporaryDirectory('aitdr-exporter-pg-');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    dialect: 'postgres',
    url: database.url,
    stateDirectory: join(dir.path, 'state'),
    rows: async (table) => {
      const order = table.columns.some((c) => c.name === 'START_TIME') ? 'START_TIME, 1' : '1';
      const result = await client.query<StoredRow>(
        `SELECT ${postgresSelectList(table)} FROM ${table.name} ORDER BY ${order}`,
      );
      return result.rows.map((r) => normalizeRow(tableByName.get(table.name) ?? table, r));
    },
    count: async (table) =>
      (await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table.name}`)).rows[0]!.n,
    scalar: async (sql, values = []) => (await selectFirstColumn(client, sql, values))[0],
    column: (sql, values = []) => selectFirstColumn(client, sql, values),
    close: async () => {
      await client.end();
      await database.drop();
      dir.remove();
    },
  };
}

async function selectFirstColumn(client: pg.Client, sql: string, values: unknown[]): Promise<unknown[]> {
  let position = 0;
  const result = await client.query({
    text: sql.replace(/\?/g, () => `$${++position}`),
    values,
    rowMode: 'array',
  });
  return (result.rows as unknown[][]).map((row) => row[0]);
}
