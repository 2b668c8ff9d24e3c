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
 */
function latest(table: string, id: string, time: string, columns: readonly string[]): string {
  return (
    `SELECT x.QUERY_ID, ${columns.map((column) => `x.${column}`).join(', ')} FROM ${table} x ` +
    `WHERE NOT EXISTS (SELECT 1 FROM ${table} y WHERE y.QUERY_ID = x.QUERY_ID ` +
    `AND (y.${time} > x.${time} OR (y.${time} = x.${time} AND y.${id} > x.${id})))`
  );
}

const stageLatest = (table: string, id: string, columns: readonly string[]) =>
  latest(table, id, 'START_TIME', columns);

export const TRAINING_EXAMPLES_SELECT = `SELECT
  q.QUERY_ID,
  q.QUERY_TEXT,
  q.USERNAME,
  q.SESSION_ID,
  q.DATABASE_TYPE,
  q.START_TIME AS QUERY_TIME,
  q.TRACE_STATUS,
  c.CATEGORY,
  c.COMPLEXITY,
  sc.CONTEXT_TEXT AS SCHEMA_CONTEXT,
  sc.TABLES AS SCHEMA_TABLES,
  s.SELECTED_SOURCE,
  s.STRATEGY AS SELECTION_STRATEGY,
  s.SELECTED_INTERACTION_ID,
  mi.PROVIDER AS SELECTED_PROVIDER,
  mi.REQUEST_MODEL AS SELECTED_MODEL,
  mi.GENERATED_SQL,
  p.PROCESSED_SQL,
  p.IS_VALID AS SQL_IS_VALID,
  e.EXECUTED_SQL,
  e.SUCCESS AS EXECUTION_SUCCESS,
  e.RETURNED_ROWS,
  e.ERROR_CODE AS EXECUTION_ERROR_CODE,
  f.RATING,
  f.IS_CORRECT,
  f.CORRECTED_SQL,
  f.FEEDBACK_COMMENT,
  f.FEEDBACK_TIME,
  e.INTERACTION_ID AS ANSWER_INTERACTION_ID,
  am.MODEL_SOURCE AS ANSWER_SOURCE,
  am.REQUEST_MODEL AS ANSWER_MODEL,
  am.GENERATED_SQL AS ANSWER_SQL
FROM AI_TRAINING_QUERIES q
LEFT JOIN (${stageLatest('AI_QUERY_CLASSIFICATIONS', 'CLASSIFICATION_ID', ['CATEGORY', 'COMPLEXITY'])}) c
  ON c.QUERY_ID = q.QUERY_ID
LEFT JOIN (${stageLatest('AI_SCHEMA_CONTEXTS', 'CONTEXT_ID', ['CONTEXT_TEXT', 'TABLES'])}) sc
  ON sc.QUERY_ID = q.QUERY_ID
LEFT JOIN (${stageLatest('AI_RESPONSE_SELECTIONS', 'SELECTION_ID', ['SELECTED_SOURCE', 'STRATEGY', 'SELECTED_INTERACTION_ID'])}) s
  ON s.QUERY_ID = q.QUERY_ID
LEFT JOIN AI_MODEL_INTERACTIONS mi
  ON mi.QUERY_ID = s.QUERY_ID AND mi.INTERACTION_ID = s.SELECTED_INTERACTION_ID
LEFT JOIN (${stageLatest('AI_SQL_PROCESSING', 'PROCESSING_ID', ['PROCESSED_SQL', 'IS_VALID'])}) p
  ON p.QUERY_ID = q.QUERY_ID
LEFT JOIN (${stageLatest('AI_EXECUTION_RESULTS', 'EXECUTION_ID', ['EXECUTED_SQL', 'SUCCESS', 'RETURNED_ROWS', 'ERROR_CODE', 'INTERACTION_ID'])}) e
  ON e.QUERY_ID = q.QUERY_ID
LEFT JOIN AI_MODEL_INTERACTIONS am
  ON am.QUERY_ID = e.QUERY_ID AND am.INTERACTION_ID = e.INTERACTION_ID
LEFT JOIN (${latest('AI_USER_FEEDBACK', 'FEEDBACK_ID', 'FEEDBACK_TIME', ['RATING', 'IS_CORRECT', 'CORRECTED_SQL', 'FEEDBACK_COMMENT', 'FEEDBACK_TIME'])}) f
  ON f.QUERY_ID = q.QUERY_ID`;
