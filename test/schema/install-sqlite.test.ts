import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCHEMA_VERSION,
  TABLES,
  TRAINING_EXAMPLES_SELECT,
  selectedSqlOf,
  trainingExamplesSelect,
} from '@aitdr/schema';
import { createTemporaryDirectory } from '../support/temp-dir.js';
import { INSTALLED_TABLES, MISSING_QUERY_ID, QUERY_ID, SPAN_ID } from './schema-expectations.js';

const script = readFileSync(new URL('../../sql/sqlite/install.sql', import.meta.url), 'utf8');

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

describe('sql/sqlite/install.sql on a fresh SQLite file', () => {
  const dir = createTemporaryDirectory();
  let db: Database.Database;

  beforeAll(() => {
    db = new Database(join(dir.path, 'training.db'));
    db.pragma('foreign_keys = ON');
    db.exec(script);
    db.exec(script); // a second run must change nothing and fail nothing
  });

  afterAll(() => {
    db.close();
    dir.remove();
  });

  it('creates every table with every column, its nullability and its key', () => {
    for (const table of INSTALLED_TABLES) {
      const columns = db.prepare<[], ColumnInfo>(`SELECT * FROM pragma_table_info('${table.name}')`).all();
      expect(
        columns.map((c) => c.name),
        table.name,
      ).toEqual(table.columns.map((c) => c.name));
      for (const column of table.columns) {
        const info = columns.find((c) => c.name === column.name)!;
        expect(info.notnull === 1, `${table.name}.${column.name} NOT NULL`).toBe(!column.nullable);
      }
      const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      expect(key.map((c) => c.name)).toEqual(table.primaryKey);
    }
  });

  it('records the schema version once', () => {
    expect(db.prepare('SELECT VERSION FROM AI_SCHEMA_VERSION').all()).toEqual([{ VERSION: SCHEMA_VERSION }]);
  });

  it('refuses a stage row whose query row does not exist', () => {
    const insertClassification = db.prepare(
      `INSERT INTO AI_QUERY_CLASSIFICATIONS (CLASSIFICATION_ID, QUERY_ID, SPAN_ID, SPAN_NAME, START_TIME, END_TIME, DURATION_MS, STATUS_CODE)
       VALUES (?, ?, ?, 'text_to_sql.classification', '2026-11-25T08:00:00.000001Z', '2026-11-25T08:00:00.000900Z', 0.899, 'OK')`,
    );
    expect(() => insertClassification.run(SPAN_ID, MISSING_QUERY_ID, SPAN_ID)).toThrow(
      /FOREIGN KEY constraint failed/,
    );
    for (const table of TABLES.slice(1)) {
      const fks = db
        .prepare<[], { table: string; from: string }>(
          `SELECT * FROM pragma_foreign_key_list('${table.name}')`,
        )
        .all();
      expect(
        fks.map((fk) => [fk.table, fk.from]),
        table.name,
      ).toEqual([['AI_TRAINING_QUERIES', 'QUERY_ID']]);
    }
  });

  it('enforces the column contracts other dialects enforce by type', () => {
    const insertQuery = db.prepare(
      `INSERT INTO AI_TRAINING_QUERIES (QUERY_ID, TRACE_STATUS, STATUS_CODE, ATTRIBUTES, USERNAME, DURATION_MS)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const valid = [QUERY_ID, 'COMPLETE', 'OK', '{}', 'jsmith', 1.5] as const;
    const run = (index: number, value: unknown) =>
      insertQuery.run(...valid.map((v, i) => (i === index ? value : v)));
    expect(() => run(0, 'NOT-HEX')).toThrow(/CHECK constraint failed: AI_QRY_QUERY_ID_CK/);
    expect(() => run(0, QUERY_ID.toUpperCase())).toThrow(/AI_QRY_QUERY_ID_CK/);
    expect(() => run(3, '{not json')).toThrow(/AI_QRY_ATTRIBUTES_CK/);
    expect(() => run(1, 'DONE')).toThrow(/AI_QRY_TRACE_STATUS_CK/);
    expect(() => run(2, 'FINE')).toThrow(/AI_QRY_STATUS_CODE_CK/);
    expect(() => run(4, 'x'.repeat(257))).toThrow(/AI_QRY_USERNAME_CK/);
    expect(() => run(5, 'slow')).toThrow(/cannot store TEXT value in REAL column/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM AI_TRAINING_QUERIES').get()).toEqual({ n: 0 });
  });

  it('takes an ID of exactly its length in lowercase hex digits, or NULL where it may be empty', () => {
    const insertQuery = db.prepare(
      `INSERT INTO AI_TRAINING_QUERIES (QUERY_ID, SPAN_ID, TRACE_STATUS, STATUS_CODE) VALUES (?, ?, 'COMPLETE', 'OK')`,
    );
    const refused = [
      QUERY_ID.slice(1),
      `${QUERY_ID}0`,
      `g${QUERY_ID.slice(1)}`,
      `${QUERY_ID.slice(1)}-`,
      `é${QUERY_ID.slice(1)}`,
      `${QUERY_ID.slice(1)}\u0000`,
      '*'.repeat(32),
      '',
    ];
    for (const id of refused) expect(() => insertQuery.run(id, SPAN_ID), id).toThrow(/AI_QRY_QUERY_ID_CK/);
    expect(() => insertQuery.run(QUERY_ID, SPAN_ID.toUpperCase())).toThrow(/AI_QRY_SPAN_ID_CK/);
    db.exec('SAVEPOINT ids');
    try {
      insertQuery.run(QUERY_ID, null);
      insertQuery.run('0123456789abcdef0123456789abcdef', SPAN_ID);
      expect(db.prepare('SELECT QUERY_ID, SPAN_ID FROM AI_TRAINING_QUERIES ORDER BY QUERY_ID').all()).toEqual(
        [
          { QUERY_ID: '0123456789abcdef0123456789abcdef', SPAN_ID },
          { QUERY_ID, SPAN_ID: null },
        ],
      );
    } finally {
      db.exec('ROLLBACK TO ids; RELEASE ids');
    }
  });

  it('checks closed value sets without a temporary table per row written', () => {
    // SQLite runs a CHECK's IN list by building and dropping a temporary table on every insert.
    for (const table of INSTALLED_TABLES) {
      const columns = table.columns.map((c) => c.name);
      const program = db
        .prepare<unknown[], { opcode: string }>(
          `EXPLAIN INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        )
        .all(...columns.map(() => null));
      expect(
        program.filter((step) => step.opcode === 'OpenEphemeral'),
        table.name,
      ).toEqual([]);
    }
    const insertClassification = db.prepare(
      `INSERT INTO AI_QUERY_CLASSIFICATIONS (CLASSIFICATION_ID, QUERY_ID, SPAN_ID, SPAN_NAME, START_TIME, END_TIME, DURATION_MS, STATUS_CODE, COMPLEXITY)
       VALUES (?, ?, ?, 'text_to_sql.classification', '2026-11-25T08:00:00.000001Z', '2026-11-25T08:00:00.000900Z', 0.899, ?, 'simple')`,
    );
    db.exec('SAVEPOINT closed_sets');
    try {
      db.prepare(
        `INSERT INTO AI_TRAINING_QUERIES (QUERY_ID, TRACE_STATUS, STATUS_CODE) VALUES (?, 'COMPLETE', 'OK')`,
      ).run(QUERY_ID);
      expect(() => insertClassification.run(SPAN_ID, QUERY_ID, SPAN_ID, 'FINE')).toThrow(
        /AI_CLS_STATUS_CODE_CK/,
      );
      insertClassification.run(SPAN_ID, QUERY_ID, SPAN_ID, 'ERROR');
      expect(db.prepare('SELECT STATUS_CODE FROM AI_QUERY_CLASSIFICATIONS').all()).toEqual([
        { STATUS_CODE: 'ERROR' },
      ]);
    } finally {
      db.exec('ROLLBACK TO closed_sets; RELEASE closed_sets');
    }
  });

  it('joins a complete query into one AI_TRAINING_EXAMPLES row with the latest feedback', () => {
    const t = (us: number) => `2026-11-25T08:00:00.${String(us).padStart(6, '0')}Z`;
    const common = `SPAN_ID, SPAN_NAME, START_TIME, END_TIME, DURATION_MS, STATUS_CODE`;
    const interaction = '00000000000000a1';
    db.prepare(
      `INSERT INTO AI_TRAINING_QUERIES (QUERY_ID, SPAN_ID, QUERY_TEXT, TRACE_STATUS, START_TIME, STATUS_CODE) VALUES (?, ?, ?, 'COMPLETE', ?, 'OK')`,
    ).run(QUERY_ID, SPAN_ID, 'downtime by line', t(1));
    db.prepare(
      `INSERT INTO AI_MODEL_INTERACTIONS (INTERACTION_ID, QUERY_ID, ${common}, MODEL_SOURCE, REQUEST_MODEL, GENERATED_SQL)
       VALUES (?, ?, ?, 'chat m', ?, ?, 1, 'OK', 'api', 'gpt-4o', 'SELECT 1')`,
    ).run(interaction, QUERY_ID, interaction, t(10), t(20));
    db.prepare(
      `INSERT INTO AI_RESPONSE_SELECTIONS (SELECTION_ID, QUERY_ID, ${common}, SELECTED_INTERACTION_ID, SELECTED_SOURCE)
       VALUES ('00000000000000b1', ?, '00000000000000b1', 's', ?, ?, 1, 'OK', ?, 'api')`,
    ).run(QUERY_ID, t(30), t(31), interaction);
    // The selected SQL failed to run; a fallback ran the local model's, which answered.
    const local = '00000000000000a2';
    db.prepare(
      `INSERT INTO AI_MODEL_INTERACTIONS (INTERACTION_ID, QUERY_ID, ${common}, MODEL_SOURCE, REQUEST_MODEL, GENERATED_SQL)
       VALUES (?, ?, ?, 'chat l', ?, ?, 1, 'OK', 'local', 'sqlcoder', 'SELECT 2')`,
    ).run(local, QUERY_ID, local, t(11), t(21));
    for (const [id, ran, success, time] of [
      ['00000000000000c1', interaction, 0, t(32)],
      ['00000000000000c2', local, 1, t(34)],
    ] as const) {
      db.prepare(
        `INSERT INTO AI_EXECUTION_RESULTS (EXECUTION_ID, QUERY_ID, ${common}, INTERACTION_ID, EXECUTED_SQL, SUCCESS)
         VALUES (?, ?, ?, 'e', ?, ?, 1, 'OK', ?, 'SELECT', ?)`,
      ).run(id, QUERY_ID, id, time, time, ran, success);
    }
    for (const [id, rating, time] of [
      ['00000000000000f1', 2, t(40)],
      ['00000000000000f2', 5, t(50)],
    ] as const) {
      db.prepare(
        `INSERT INTO AI_USER_FEEDBACK (FEEDBACK_ID, FEEDBACK_TRACE_ID, QUERY_ID, ${common}, RATING, FEEDBACK_TIME)
         VALUES (?, ?, ?, ?, 'f', ?, ?, 1, 'OK', ?, ?)`,
      ).run(id, 'e'.repeat(32), QUERY_ID, id, time, time, rating, time);
    }
    // Two classifications at the same time: the latest is the one with the greater ID.
    for (const [id, category] of [
      ['00000000000000d2', 'trend'],
      ['00000000000000d1', 'lookup'],
    ] as const) {
      db.prepare(
        `INSERT INTO AI_QUERY_CLASSIFICATIONS (CLASSIFICATION_ID, QUERY_ID, ${common}, CATEGORY)
         VALUES (?, ?, ?, 'c', ?, ?, 1, 'OK', ?)`,
      ).run(id, QUERY_ID, id, t(5), t(6), category);
    }
    const rows = db.prepare('SELECT * FROM AI_TRAINING_EXAMPLES').all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      QUERY_ID,
      QUERY_TEXT: 'downtime by line',
      SELECTED_SOURCE: 'api',
      SELECTED_MODEL: 'gpt-4o',
      GENERATED_SQL: 'SELECT 1',
      EXECUTION_SUCCESS: 1,
      ANSWER_INTERACTION_ID: local,
      ANSWER_SOURCE: 'local',
      ANSWER_MODEL: 'sqlcoder',
      ANSWER_SQL: 'SELECT 2',
      RATING: 5,
      CATEGORY: 'trend',
    });
    // The view's SELECT with only some columns (and only the joins they read) gives the same values.
    for (const columns of [
      ['QUERY_ID', 'ANSWER_SQL', 'RATING'],
      ['CATEGORY', 'GENERATED_SQL', 'SCHEMA_CONTEXT'],
    ]) {
      const pruned = trainingExamplesSelect(columns);
      expect(pruned).not.toContain('AI_SQL_PROCESSING');
      expect(db.prepare(pruned).all()).toEqual(
        db.prepare(`SELECT ${columns.join(', ')} FROM AI_TRAINING_EXAMPLES`).all(),
      );
    }
    expect(trainingExamplesSelect()).toBe(TRAINING_EXAMPLES_SELECT);
    // The selected interaction's SQL of one query, as a subquery, is the view's GENERATED_SQL.
    expect(
      db
        .prepare(
          `SELECT v.QUERY_ID, ${selectedSqlOf('v.QUERY_ID')} AS GENERATED_SQL FROM AI_TRAINING_EXAMPLES v`,
        )
        .all(),
    ).toEqual(db.prepare('SELECT QUERY_ID, GENERATED_SQL FROM AI_TRAINING_EXAMPLES').all());
    // deleting the query deletes its stage rows
    db.prepare('DELETE FROM AI_TRAINING_QUERIES WHERE QUERY_ID = ?').run(QUERY_ID);
    expect(db.prepare('SELECT COUNT(*) AS n FROM AI_USER_FEEDBACK').get()).toEqual({ n: 0 });
  });
});
