/**
 * A store installed at schema version 1 (the committed install scripts of that version, kept in
 * ./version-1/) brought up by `applySchema`, as `aitdr-schema upgrade` does: every row is kept and
 * AI_TRAINING_EXAMPLES answers as before, latest rows included (several stage rows per query,
 * ties on time broken by the row ID), on SQLite and PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchema, readSchemaStatus } from '@aitdr/exporter';
import { SCHEMA_VERSION, TABLES, TRAINING_EXAMPLES_VIEW } from '@aitdr/schema';
import { createTemporaryDatabase } from '../support/postgres.js';
import type { TemporaryDatabase } from '../support/postgres.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const versionOne = (dialect: string) =>
  readFileSync(new URL(`./version-1/${dialect}-install.sql`, import.meta.url), 'utf8');

type Value = string | number | boolean | null;
interface Row {
  readonly table: string;
  readonly values: Readonly<Record<string, Value>>;
}

const id = (prefix: string, n: number, length: number) =>
  `${prefix}${n.toString(16)}`.padStart(length, '0').slice(-length);
const at = (second: number) => `2026-11-24T09:00:${String(second).padStart(2, '0')}.000000Z`;
const span = (n: number) => ({ SPAN_ID: id('5', n, 16), SPAN_NAME: 'stage', STATUS_CODE: 'OK' });
const timed = (second: number) => ({
  START_TIME: at(second),
  END_TIME: at(second + 1),
  DURATION_MS: 1000,
});

/**
 * Queries with none, one or several rows per stage; times that tie (the greater row ID wins),
 * executions naming one of two model interactions, and feedback that was later replaced.
 */
function versionOneRows(queries: number): Row[] {
  const rows: Row[] = [];
  let n = 0;
  for (let q = 0; q < queries; q++) {
    const queryId = id('a', q, 32);
    const stage = (table: string, idColumn: string, second: number, values: Record<string, Value>) =>
      rows.push({
        table,
        values: { [idColumn]: id('b', ++n, 16), QUERY_ID: queryId, ...span(n), ...timed(second), ...values },
      });
    rows.push({
      table: 'AI_TRAINING_QUERIES',
      values: {
        QUERY_ID: queryId,
        QUERY_TEXT: `question ${q}`,
        TRACE_STATUS: 'COMPLETE',
        STATUS_CODE: 'OK',
        ...timed(q % 50),
      },
    });
    for (let k = 0; k < q % 3; k++) {
      stage('AI_QUERY_CLASSIFICATIONS', 'CLASSIFICATION_ID', k === 2 ? 1 : k, {
        CATEGORY: `category ${q % 4}-${k}`,
      });
    }
    if (q % 5 !== 0)
      stage('AI_SCHEMA_CONTEXTS', 'CONTEXT_ID', 2, { CONTEXT_TEXT: `schema ${q % 7}`, TABLES: '["T"]' });
    const interactions = ['api', 'local'].map((source, k) => {
      const interactionId = id('c', ++n, 16);
      rows.push({
        table: 'AI_MODEL_INTERACTIONS',
        values: {
          INTERACTION_ID: interactionId,
          QUERY_ID: queryId,
          ...span(n),
          ...timed(3 + k),
          MODEL_SOURCE: source,
          REQUEST_MODEL: `${source}-model`,
          GENERATED_SQL: `SELECT ${q} FROM ${source}`,
        },
      });
      return interactionId;
    });
    for (let k = 0; k < 1 + (q % 2); k++) {
      stage('AI_RESPONSE_SELECTIONS', 'SELECTION_ID', 5, {
        SELECTED_INTERACTION_ID: interactions[(q + k) % 2]!,
        SELECTED_SOURCE: (q + k) % 2 === 0 ? 'api' : 'local',
        STRATEGY: `strategy ${k}`,
      });
    }
    for (let k = 0; k < q % 3; k++) {
      stage('AI_SQL_PROCESSING', 'PROCESSING_ID', 6 + k, {
        PROCESSED_SQL: `SELECT ${q}, ${k}`,
        IS_VALID: k === 0,
      });
    }
    for (let k = 0; k < (q % 4) % 3; k++) {
      stage('AI_EXECUTION_RESULTS', 'EXECUTION_ID', 8, {
        INTERACTION_ID: interactions[k % 2]!,
        EXECUTED_SQL: `SELECT ${q}, ${k}`,
        SUCCESS: k === 1 || q % 2 === 0,
        RETURNED_ROWS: k,
      });
    }
    for (let k = 0; k < q % 3; k++) {
      n += 1;
      rows.push({
        table: 'AI_USER_FEEDBACK',
        values: {
          FEEDBACK_ID: id('d', n, 16),
          FEEDBACK_TRACE_ID: id('e', n, 32),
          QUERY_ID: queryId,
          ...span(n),
          ...timed(20),
          RATING: 1 + ((q + k) % 5),
          IS_CORRECT: k % 2 === 0,
          CORRECTED_SQL: k === 1 ? `SELECT corrected ${q}` : null,
          // The second of two rows ties on time with the first: the greater ID is the latest.
          FEEDBACK_TIME: at(30 + (k === 2 ? 1 : 0)),
        },
      });
    }
  }
  return rows;
}

const ROWS = versionOneRows(60);
const count = (table: string) => ROWS.filter((row) => row.table === table).length;
const VIEW_ROWS = `SELECT * FROM ${TRAINING_EXAMPLES_VIEW} ORDER BY QUERY_ID`;

describe('upgrade of a SQLite store from schema version 1', () => {
  const dir = createTemporaryDirectory('aitdr-upgrade-');
  const filename = join(dir.path, 'training.db');
  let before: unknown[];

  beforeAll(() => {
    const db = new Database(filename);
    try {
      db.exec(versionOne('sqlite'));
      for (const { table, values } of ROWS) {
        const names = Object.keys(values);
        db.prepare(
          `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
        ).run(
          ...names.map((name) => {
            const value = values[name];
            return typeof value === 'boolean' ? Number(value) : value;
          }),
        );
      }
      before = db.prepare(VIEW_ROWS).all();
    } finally {
      db.close();
    }
  });
  afterAll(() => dir.remove());

  it('keeps every row and answers the view as version 1 did', async () => {
    const store = `sqlite:${filename}`;
    await expect(readSchemaStatus(store)).resolves.toEqual({ installed: 1, required: SCHEMA_VERSION });
    await expect(applySchema(store)).resolves.toEqual({
      installed: SCHEMA_VERSION,
      required: SCHEMA_VERSION,
    });
    const db = new Database(filename, { readonly: true });
    try {
      for (const table of TABLES) {
        expect(db.prepare(`SELECT COUNT(*) AS N FROM ${table.name}`).get(), table.name).toEqual({
          N: count(table.name),
        });
      }
      expect(before).toHaveLength(60);
      expect(db.prepare(VIEW_ROWS).all()).toEqual(before);
      expect(db.prepare('SELECT VERSION FROM AI_SCHEMA_VERSION ORDER BY VERSION').pluck().all()).toEqual(
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
    } finally {
      db.close();
    }
  });
});

describe('upgrade of a PostgreSQL store from schema version 1', () => {
  let database: TemporaryDatabase;
  let before: unknown[];

  const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await createTemporaryDatabase('aitdr_upgrade', { schema: false });
    before = await withClient(async (client) => {
      // psql's meta-command is not SQL; the rest of the script is one multi-statement query.
      await client.query(versionOne('postgres').replace('\\set ON_ERROR_STOP on\n', ''));
      for (const { table, values } of ROWS) {
        const names = Object.keys(values);
        await client.query(
          `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
          names.map((name) => values[name]),
        );
      }
      return (await client.query<Record<string, unknown>>(VIEW_ROWS)).rows;
    });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('keeps every row and answers the view as version 1 did', async () => {
    await expect(readSchemaStatus(database.url)).resolves.toEqual({ installed: 1, required: SCHEMA_VERSION });
    await expect(applySchema(database.url)).resolves.toEqual({
      installed: SCHEMA_VERSION,
      required: SCHEMA_VERSION,
    });
    await withClient(async (client) => {
      for (const table of TABLES) {
        const { rows } = await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table.name}`);
        expect(rows[0]?.n, table.name).toBe(count(table.name));
      }
      expect(before).toHaveLength(60);
      expect((await client.query(VIEW_ROWS)).rows).toEqual(before);
      const versions = await client.query<{ version: number }>(
        'SELECT VERSION FROM AI_SCHEMA_VERSION ORDER BY VERSION',
      );
      expect(versions.rows.map((row) => row.version)).toEqual(
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
    });
  });
});
