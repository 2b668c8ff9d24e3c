/**
 * A SQLite store whose every row is a function of its index: the same bytes on every machine and
 * every run (IDs, times and texts included), so an export of it can be compared with the hashes
 * an earlier version of the export wrote. Its queries cover what the rules tell apart: questions
 * asked again in other words, SQL shared between questions (intents joined through it), a missing
 * schema context, corrections, negative feedback, failed runs, and the other model's SQL failing
 * validation (preference pairs of both rules). Enough examples for more than one Parquet row group.
 */
import Database from 'better-sqlite3';
import { schemaInstallStatements } from '@aitdr/schema';

type Value = string | number | null;

const hex = (prefix: string, n: number, length: number) =>
  `${prefix}${n.toString(16)}`.padStart(length, '0').slice(-length);
const at = (second: number) =>
  new Date(Date.UTC(2026, 5, 1) + second * 1000).toISOString().replace('Z', '000Z');

const QUESTIONS = [
  'Which machines had the most downtime last week?',
  'What is the scrap rate per shift?',
  'How many orders shipped late in May?',
  'List the suppliers with open quality issues.',
  'Average cycle time per product line?',
  'Which operators logged overtime yesterday?',
];
const OPENINGS = ['', 'Hi! ', 'Quick question: ', 'For the morning meeting: '];
const CONTEXTS = [
  'CREATE TABLE machines (id INTEGER, name TEXT, downtime_minutes INTEGER);',
  'CREATE TABLE shifts (id INTEGER, scrap INTEGER, produced INTEGER);',
  'CREATE TABLE orders (id INTEGER, shipped DATE, due DATE);\nCREATE TABLE suppliers (id INTEGER, name TEXT);',
];

/** Rows of query `q`, table by table, parents first. */
function queryRows(q: number): [string, Record<string, Value>][] {
  const queryId = hex('a', q, 32);
  const second = q * 7;
  const span = (n: number, name: string, offset: number) => ({
    SPAN_ID: hex('5', q * 16 + n, 16),
    SPAN_NAME: name,
    STATUS_CODE: 'OK',
    START_TIME: at(second + offset),
    END_TIME: at(second + offset + 1),
    DURATION_MS: 1000,
    RECORDED_AT: at(second + 10),
  });
  const id = (n: number) => hex('b', q * 16 + n, 16);
  // Questions come back in other words (an opening) and share their SQL with others: intents.
  const asked = q % 211;
  const question = `${OPENINGS[q % 4]}${QUESTIONS[asked % QUESTIONS.length]} (${asked})`;
  const table = `t${asked % 40}`;
  const apiSql = `SELECT name, COUNT(*) FROM ${table} GROUP BY name`;
  const localSql = q % 3 === 0 ? `SELEC name FROM ${table}` : apiSql;
  const [api, local] = [id(3), id(4)];
  const ran = q % 11 === 0 ? local : api;
  const rows: [string, Record<string, Value>][] = [
    [
      'AI_TRAINING_QUERIES',
      {
        QUERY_ID: queryId,
        ...span(0, 'text_to_sql.query', 0),
        QUERY_TEXT: question,
        DATABASE_TYPE: 'sqlite',
        TRACE_STATUS: 'COMPLETE',
      },
    ],
    [
      'AI_QUERY_CLASSIFICATIONS',
      {
        CLASSIFICATION_ID: id(1),
        QUERY_ID: queryId,
        ...span(1, 'classification', 1),
        CATEGORY: `category ${q % 5}`,
      },
    ],
  ];
  if (q % 17 !== 0) {
    rows.push([
      'AI_SCHEMA_CONTEXTS',
      {
        CONTEXT_ID: id(2),
        QUERY_ID: queryId,
        ...span(2, 'schema_context', 2),
        CONTEXT_TEXT: CONTEXTS[q % CONTEXTS.length]!,
      },
    ]);
  }
  for (const [interaction, source, sql] of [
    [api, 'api', apiSql],
    [local, 'local', localSql],
  ] as const) {
    rows.push([
      'AI_MODEL_INTERACTIONS',
      {
        INTERACTION_ID: interaction,
        QUERY_ID: queryId,
        ...span(interaction === api ? 3 : 4, 'model', 3),
        MODEL_SOURCE: source,
        REQUEST_MODEL: `${source}-model`,
        GENERATED_SQL: sql,
      },
    ]);
  }
  rows.push(
    [
      'AI_RESPONSE_SELECTIONS',
      {
        SELECTION_ID: id(5),
        QUERY_ID: queryId,
        ...span(5, 'selection', 4),
        SELECTED_INTERACTION_ID: api,
        SELECTED_SOURCE: 'api',
        STRATEGY: 'agreement',
      },
    ],
    [
      'AI_SQL_PROCESSING',
      {
        PROCESSING_ID: id(6),
        QUERY_ID: queryId,
        ...span(6, 'processing', 5),
        INTERACTION_ID: local,
        IS_VALID: q % 3 === 0 ? 0 : 1,
      },
    ],
    [
      'AI_EXECUTION_RESULTS',
      {
        EXECUTION_ID: id(7),
        QUERY_ID: queryId,
        ...span(7, 'execution', 6),
        INTERACTION_ID: ran,
        EXECUTED_SQL: ran === api ? apiSql : localSql,
        SUCCESS: q % 13 === 0 ? 0 : 1,
      },
    ],
  );
  if (q % 4 !== 3) {
    rows.push([
      'AI_USER_FEEDBACK',
      {
        FEEDBACK_ID: id(8),
        FEEDBACK_TRACE_ID: hex('e', q, 32),
        QUERY_ID: queryId,
        ...span(8, 'feedback', 6),
        FEEDBACK_TIME: at(second + 6),
        RATING: 1 + (q % 5),
        IS_CORRECT: q % 9 === 0 ? 0 : 1,
        CORRECTED_SQL: q % 7 === 0 ? `SELECT name FROM ${table} WHERE fixed = 1` : null,
      },
    ]);
  }
  return rows;
}

/** Writes the fixed store of `queries` queries to `filename` (a new file). */
export function writeFixedStore(filename: string, queries: number): void {
  const db = new Database(filename);
  try {
    for (const statement of schemaInstallStatements('sqlite')) db.exec(statement);
    const insert = db.transaction(() => {
      for (let q = 0; q < queries; q++) {
        for (const [table, values] of queryRows(q)) {
          const names = Object.keys(values);
          db.prepare(
            `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
          ).run(...names.map((name) => values[name]));
        }
      }
    });
    insert();
  } finally {
    db.close();
  }
}
