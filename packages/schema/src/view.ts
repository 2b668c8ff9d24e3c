/**
 * AI_TRAINING_EXAMPLES: one row per query with what a fine-tuning export needs: the question,
 * its classification and schema context, the selected model interaction, the latest SQL
 * processing and execution, the model interaction whose SQL that execution ran (the answer: after
 * a fallback it is not the selected one), and the latest feedback. Written in SQL that Oracle,
 * PostgreSQL and SQLite all accept (no AS before table aliases, window functions for "latest").
 * New columns go at the end: PostgreSQL's CREATE OR REPLACE VIEW may only add columns there.
 */
export const TRAINING_EXAMPLES_VIEW = 'AI_TRAINING_EXAMPLES';

/** The latest row of a stage table per query, ranked by one ordering. */
function latest(table: string, orderBy: string): string {
  return `SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.QUERY_ID ORDER BY ${orderBy}) AS RN FROM ${table} x`;
}

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
LEFT JOIN (${latest('AI_QUERY_CLASSIFICATIONS', 'x.START_TIME DESC, x.CLASSIFICATION_ID DESC')}) c
  ON c.QUERY_ID = q.QUERY_ID AND c.RN = 1
LEFT JOIN (${latest('AI_SCHEMA_CONTEXTS', 'x.START_TIME DESC, x.CONTEXT_ID DESC')}) sc
  ON sc.QUERY_ID = q.QUERY_ID AND sc.RN = 1
LEFT JOIN (${latest('AI_RESPONSE_SELECTIONS', 'x.START_TIME DESC, x.SELECTION_ID DESC')}) s
  ON s.QUERY_ID = q.QUERY_ID AND s.RN = 1
LEFT JOIN AI_MODEL_INTERACTIONS mi
  ON mi.QUERY_ID = s.QUERY_ID AND mi.INTERACTION_ID = s.SELECTED_INTERACTION_ID
LEFT JOIN (${latest('AI_SQL_PROCESSING', 'x.START_TIME DESC, x.PROCESSING_ID DESC')}) p
  ON p.QUERY_ID = q.QUERY_ID AND p.RN = 1
LEFT JOIN (${latest('AI_EXECUTION_RESULTS', 'x.START_TIME DESC, x.EXECUTION_ID DESC')}) e
  ON e.QUERY_ID = q.QUERY_ID AND e.RN = 1
LEFT JOIN AI_MODEL_INTERACTIONS am
  ON am.QUERY_ID = e.QUERY_ID AND am.INTERACTION_ID = e.INTERACTION_ID
LEFT JOIN (${latest('AI_USER_FEEDBACK', 'x.FEEDBACK_TIME DESC, x.FEEDBACK_ID DESC')}) f
  ON f.QUERY_ID = q.QUERY_ID AND f.RN = 1`;
