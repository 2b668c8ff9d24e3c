/**
 * Every model answer of the queries an export or a readiness report looks at: whose it was, its
 * SQL, and whether that SQL failed validation or execution. One statement, every value a bind.
 */
import { AI_EXECUTION_RESULTS, AI_MODEL_INTERACTIONS, AI_SQL_PROCESSING } from '@aitdr/schema';
import type { Binds, ReadRow, TableReader } from '@aitdr/exporter';
import { asNumber, asText } from '../store/read-values.js';
import type { ModelAnswer } from './export-rules.js';

/** A model answer with the model that gave it (its version, for readiness over time). */
export interface RecordedAnswer extends ModelAnswer {
  readonly queryId: string;
  /** The model that answered, else the one asked for. */
  readonly model: string | undefined;
}

/**
 * The answers of the queries `queryIds` selects (a `SELECT QUERY_ID …` adding its values to the
 * binds given: placeholders are numbered in the order they are added, so it is called after the
 * statement's earlier binds), or of every query; grouped by query, in interaction order.
 */
export async function readAnswers(
  reader: TableReader,
  queryIds?: (binds: Binds) => string,
  keep: (answer: RecordedAnswer) => boolean = () => true,
): Promise<Map<string, RecordedAnswer[]>> {
  const binds = reader.binds();
  const invalid = binds.add(false);
  const failed = binds.add(false);
  const sql = `SELECT mi.QUERY_ID, mi.INTERACTION_ID, mi.MODEL_SOURCE, mi.GENERATED_SQL,
      COALESCE(mi.RESPONSE_MODEL, mi.REQUEST_MODEL) AS MODEL,
      (SELECT COUNT(*) FROM ${AI_SQL_PROCESSING.name} p
        WHERE p.QUERY_ID = mi.QUERY_ID AND p.INTERACTION_ID = mi.INTERACTION_ID AND p.IS_VALID = ${invalid}) AS INVALID,
      (SELECT COUNT(*) FROM ${AI_EXECUTION_RESULTS.name} e
        WHERE e.QUERY_ID = mi.QUERY_ID AND e.INTERACTION_ID = mi.INTERACTION_ID AND e.SUCCESS = ${failed}) AS FAILED_RUNS
    FROM ${AI_MODEL_INTERACTIONS.name} mi
    ${queryIds === undefined ? '' : `WHERE mi.QUERY_ID IN (${queryIds(binds)})`}
    ORDER BY mi.QUERY_ID, mi.START_TIME, mi.INTERACTION_ID`;
  return groupAnswers(reader, sql, binds, keep);
}

/**
 * Only the answers whose SQL failed validation or execution (what a disagreement pair can reject),
 * as `readAnswers` gives them. The failures drive the statement: the stage tables are scanned once
 * for failed rows and only their interactions are read, instead of two lookups per interaction.
 * DISTINCT over UNION ALL, not UNION: SQLite plans a UNION here as a merge walking both tables'
 * primary keys a row at a time (2.6 s CPU on the 200k-query store against 0.2 s).
 */
export async function readFailedAnswers(
  reader: TableReader,
  queryIds?: (binds: Binds) => string,
  keep: (answer: RecordedAnswer) => boolean = () => true,
): Promise<Map<string, RecordedAnswer[]>> {
  const binds = reader.binds();
  const invalid = binds.add(false);
  const failed = binds.add(false);
  const sql = `SELECT mi.QUERY_ID, mi.INTERACTION_ID, mi.MODEL_SOURCE, mi.GENERATED_SQL,
      COALESCE(mi.RESPONSE_MODEL, mi.REQUEST_MODEL) AS MODEL, 1 AS INVALID, 0 AS FAILED_RUNS
    FROM ${AI_MODEL_INTERACTIONS.name} mi
    JOIN (SELECT DISTINCT u.QUERY_ID, u.INTERACTION_ID FROM (
        SELECT p.QUERY_ID, p.INTERACTION_ID FROM ${AI_SQL_PROCESSING.name} p WHERE p.IS_VALID = ${invalid}
        UNION ALL SELECT e.QUERY_ID, e.INTERACTION_ID FROM ${AI_EXECUTION_RESULTS.name} e WHERE e.SUCCESS = ${failed}
      ) u) fl
      ON fl.QUERY_ID = mi.QUERY_ID AND fl.INTERACTION_ID = mi.INTERACTION_ID
    ${queryIds === undefined ? '' : `WHERE mi.QUERY_ID IN (${queryIds(binds)})`}
    ORDER BY mi.QUERY_ID, mi.START_TIME, mi.INTERACTION_ID`;
  return groupAnswers(reader, sql, binds, keep);
}

/**
 * Every answer with SQL and a known source of the queries `queryIds` selects (or of every query),
 * streamed, without whether it failed (readiness needs no more): one scan of the interactions.
 */
export async function* streamScoredAnswers(
  reader: TableReader,
  queryIds?: (binds: Binds) => string,
): AsyncIterable<RecordedAnswer> {
  const binds = reader.binds();
  const sql = `SELECT mi.QUERY_ID, mi.INTERACTION_ID, mi.MODEL_SOURCE, mi.GENERATED_SQL,
      COALESCE(mi.RESPONSE_MODEL, mi.REQUEST_MODEL) AS MODEL
    FROM ${AI_MODEL_INTERACTIONS.name} mi
    ${queryIds === undefined ? '' : `WHERE mi.QUERY_ID IN (${queryIds(binds)})`}`;
  for await (const row of reader.stream(sql, binds)) {
    const answer = answerOf(row, false);
    if (answer.sql !== undefined && answer.source !== undefined) yield answer;
  }
}

function answerOf(row: ReadRow, failed: boolean): RecordedAnswer {
  return {
    queryId: String(row.QUERY_ID),
    interactionId: String(row.INTERACTION_ID),
    source: asText(row.MODEL_SOURCE),
    sql: asText(row.GENERATED_SQL)?.trim(),
    model: asText(row.MODEL),
    failed,
  };
}

async function groupAnswers(
  reader: TableReader,
  sql: string,
  binds: Binds,
  keep: (answer: RecordedAnswer) => boolean,
): Promise<Map<string, RecordedAnswer[]>> {
  const answers = new Map<string, RecordedAnswer[]>();
  for await (const row of reader.stream(sql, binds)) {
    const answer = answerOf(row, (asNumber(row.INVALID) ?? 0) > 0 || (asNumber(row.FAILED_RUNS) ?? 0) > 0);
    const queryId = answer.queryId;
    if (!keep(answer)) continue;
    const list = answers.get(queryId) ?? [];
    list.push(answer);
    answers.set(queryId, list);
  }
  return answers;
}
