/**
 * AI_TRAINING_EXAMPLES: one row per query with what a fine-tuning export needs: the question,
 * its classification and schema context, the selected model interaction, the latest SQL
 * processing and execution, the model interaction whose SQL that execution ran (the answer: after
 * a fallback it is not the selected one), and the latest feedback. Written in SQL that Oracle,
 * PostgreSQL and SQLite all accept (no AS before table aliases, NOT EXISTS for "latest").
 * New columns go at the end: PostgreSQL's CREATE OR REPLACE VIEW may only add columns there.
 */
export const TRAINING_EXAMPLES_VIEW = 'AI_TRAINING_EXAMPLES';

/**
 * The latest row of a stage table per query: the row no other row of its query follows (a later
 * `time`, or the same time and a greater `id`, the row's own span ID). It reads only `columns`
 * and the ordering, and is written as NOT EXISTS rather than a window function: a store answers
 * it with the primary key (QUERY_ID, id) per query, instead of numbering and materialising every
 * row of the table with all its columns (schema version 1 did that, for six tables, on every
 * read of the view).
 *
 * `keyed`: (QUERY_ID, id) is the table's primary key, so a row of the query with the same `id` is
 * the row itself, which never follows itself. Saying so first lets a store drop that row from the
 * key's index alone: the query's only row (the usual case) is then not fetched a second time for
 * its `time` (on SQLite a sixth fewer page reads for the whole view).
 */
function latest(table: string, id: string, time: string, columns: readonly string[], keyed: boolean): string {
  return (
    `SELECT x.QUERY_ID, ${columns.map((column) => `x.${column}`).join(', ')} FROM ${table} x ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${table} y WHERE y.QUERY_ID = x.QUERY_ID ` +
    (keyed ? `AND y.${id} <> x.${id} ` : '') +
    `AND (y.${time} > x.${time} OR (y.${time} = x.${time} AND y.${id} > x.${id})))`
  );
}

/** A stage table's primary key is (QUERY_ID, its ID). */
const stageLatest = (table: string, id: string, columns: readonly string[]) =>
  latest(table, id, 'START_TIME', columns, true);

/** The view's columns in order: each with its expression and the join it reads (none: the query table). */
const COLUMNS: readonly (readonly [name: string, expression: string, join?: string])[] = [
  ['QUERY_ID', 'q.QUERY_ID'],
  ['QUERY_TEXT', 'q.QUERY_TEXT'],
  ['USERNAME', 'q.USERNAME'],
  ['SESSION_ID', 'q.SESSION_ID'],
  ['DATABASE_TYPE', 'q.DATABASE_TYPE'],
  ['QUERY_TIME', 'q.START_TIME AS QUERY_TIME'],
  ['TRACE_STATUS', 'q.TRACE_STATUS'],
  ['CATEGORY', 'c.CATEGORY', 'c'],
  ['COMPLEXITY', 'c.COMPLEXITY', 'c'],
  ['SCHEMA_CONTEXT', 'sc.CONTEXT_TEXT AS SCHEMA_CONTEXT', 'sc'],
  ['SCHEMA_TABLES', 'sc.TABLES AS SCHEMA_TABLES', 'sc'],
  ['SELECTED_SOURCE', 's.SELECTED_SOURCE', 's'],
  ['SELECTION_STRATEGY', 's.STRATEGY AS SELECTION_STRATEGY', 's'],
  ['SELECTED_INTERACTION_ID', 's.SELECTED_INTERACTION_ID', 's'],
  ['SELECTED_PROVIDER', 'mi.PROVIDER AS SELECTED_PROVIDER', 'mi'],
  ['SELECTED_MODEL', 'mi.REQUEST_MODEL AS SELECTED_MODEL', 'mi'],
  ['GENERATED_SQL', 'mi.GENERATED_SQL', 'mi'],
  ['PROCESSED_SQL', 'p.PROCESSED_SQL', 'p'],
  ['SQL_IS_VALID', 'p.IS_VALID AS SQL_IS_VALID', 'p'],
  ['EXECUTED_SQL', 'e.EXECUTED_SQL', 'e'],
  ['EXECUTION_SUCCESS', 'e.SUCCESS AS EXECUTION_SUCCESS', 'e'],
  ['RETURNED_ROWS', 'e.RETURNED_ROWS', 'e'],
  ['EXECUTION_ERROR_CODE', 'e.ERROR_CODE AS EXECUTION_ERROR_CODE', 'e'],
  ['RATING', 'f.RATING', 'f'],
  ['IS_CORRECT', 'f.IS_CORRECT', 'f'],
  ['CORRECTED_SQL', 'f.CORRECTED_SQL', 'f'],
  ['FEEDBACK_COMMENT', 'f.FEEDBACK_COMMENT', 'f'],
  ['FEEDBACK_TIME', 'f.FEEDBACK_TIME', 'f'],
  ['ANSWER_INTERACTION_ID', 'e.INTERACTION_ID AS ANSWER_INTERACTION_ID', 'e'],
  ['ANSWER_SOURCE', 'am.MODEL_SOURCE AS ANSWER_SOURCE', 'am'],
  ['ANSWER_MODEL', 'am.REQUEST_MODEL AS ANSWER_MODEL', 'am'],
  ['ANSWER_SQL', 'am.GENERATED_SQL AS ANSWER_SQL', 'am'],
];

/** The joins in order: alias, the joins it needs, and its text. */
const JOINS: readonly (readonly [alias: string, needs: readonly string[], text: string])[] = [
  [
    'c',
    [],
    `LEFT JOIN (${stageLatest('AI_QUERY_CLASSIFICATIONS', 'CLASSIFICATION_ID', ['CATEGORY', 'COMPLEXITY'])}) c
  ON c.QUERY_ID = q.QUERY_ID`,
  ],
  [
    'sc',
    [],
    `LEFT JOIN (${stageLatest('AI_SCHEMA_CONTEXTS', 'CONTEXT_ID', ['CONTEXT_TEXT', 'TABLES'])}) sc
  ON sc.QUERY_ID = q.QUERY_ID`,
  ],
  [
    's',
    [],
    `LEFT JOIN (${stageLatest('AI_RESPONSE_SELECTIONS', 'SELECTION_ID', ['SELECTED_SOURCE', 'STRATEGY', 'SELECTED_INTERACTION_ID'])}) s
  ON s.QUERY_ID = q.QUERY_ID`,
  ],
  [
    'mi',
    ['s'],
    `LEFT JOIN AI_MODEL_INTERACTIONS mi
  ON mi.QUERY_ID = s.QUERY_ID AND mi.INTERACTION_ID = s.SELECTED_INTERACTION_ID`,
  ],
  [
    'p',
    [],
    `LEFT JOIN (${stageLatest('AI_SQL_PROCESSING', 'PROCESSING_ID', ['PROCESSED_SQL', 'IS_VALID'])}) p
  ON p.QUERY_ID = q.QUERY_ID`,
  ],
  [
    'e',
    [],
    `LEFT JOIN (${stageLatest('AI_EXECUTION_RESULTS', 'EXECUTION_ID', ['EXECUTED_SQL', 'SUCCESS', 'RETURNED_ROWS', 'ERROR_CODE', 'INTERACTION_ID'])}) e
  ON e.QUERY_ID = q.QUERY_ID`,
  ],
  [
    'am',
    ['e'],
    `LEFT JOIN AI_MODEL_INTERACTIONS am
  ON am.QUERY_ID = e.QUERY_ID AND am.INTERACTION_ID = e.INTERACTION_ID`,
  ],
  [
    'f',
    [],
    // Not keyed: a feedback row's key is its own trace, two rows of a query may share an ID.
    `LEFT JOIN (${latest('AI_USER_FEEDBACK', 'FEEDBACK_ID', 'FEEDBACK_TIME', ['RATING', 'IS_CORRECT', 'CORRECTED_SQL', 'FEEDBACK_COMMENT', 'FEEDBACK_TIME'], false)}) f
  ON f.QUERY_ID = q.QUERY_ID`,
  ],
];

/**
 * The view's SELECT, or the same rows with only `columns` (view column names, in the order given)
 * and only the joins they read, and always the feedback's. Every other join is a LEFT JOIN to at
 * most one row per query (the latest of a stage table's rows, whose key is the query and the
 * row's ID; a model interaction by its key), so leaving it out changes no other column and no
 * number of rows; a feedback row's key is its own trace, so two may tie and it stays. A reader that
 * needs a few columns (the export) does not pay for the stage tables it never reads: a store cannot
 * drop those joins from the view itself, not knowing a "latest" subquery gives at most one row.
 */
export function trainingExamplesSelect(columns?: readonly string[]): string {
  const chosen =
    columns === undefined
      ? COLUMNS
      : columns.map((name) => {
          const column = COLUMNS.find(([known]) => known === name);
          if (column === undefined) throw new Error(`${TRAINING_EXAMPLES_VIEW} has no column ${name}`);
          return column;
        });
  const needed = new Set<string>(['f']);
  const need = (alias: string | undefined) => {
    if (alias === undefined || needed.has(alias)) return;
    needed.add(alias);
    for (const other of JOINS.find(([known]) => known === alias)![1]) need(other);
  };
  for (const [, , join] of chosen) need(join);
  return `SELECT
${chosen.map(([, expression]) => `  ${expression}`).join(',\n')}
FROM AI_TRAINING_QUERIES q
${JOINS.filter(([alias]) => needed.has(alias))
  .map(([, , text]) => text)
  .join('\n')}`;
}

export const TRAINING_EXAMPLES_SELECT = trainingExamplesSelect();

/**
 * The view's GENERATED_SQL (the selected model interaction's SQL) of the one query `queryId`
 * names, as a scalar subquery: `queryId` is a column of the statement around it, such as
 * `v.QUERY_ID`. A reader that needs this SQL for a few rows only puts it in a CASE rather than
 * asking the view for the column, which joins the selection and then the interaction for every
 * row: two lookups of a random key per query (on SQLite a sixth of the export's read of the view).
 */
export function selectedSqlOf(queryId: string): string {
  return (
    `(SELECT mi.GENERATED_SQL FROM (${stageLatest('AI_RESPONSE_SELECTIONS', 'SELECTION_ID', ['SELECTED_INTERACTION_ID'])}) s ` +
    `JOIN AI_MODEL_INTERACTIONS mi ON mi.QUERY_ID = s.QUERY_ID AND mi.INTERACTION_ID = s.SELECTED_INTERACTION_ID ` +
    `WHERE s.QUERY_ID = ${queryId})`
  );
}
