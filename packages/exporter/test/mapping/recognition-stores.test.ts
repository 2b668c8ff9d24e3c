/**
 * Library spans through the table exporter onto real stores (a SQLite file, the local
 * PostgreSQL), each installed by schema version 1 and upgraded to the current version first: the
 * rows read back with the stores' own SQL.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_STAGE, toSpanRecord } from '@aitdr/conventions';
import { AI_EXECUTION_RESULTS, AI_MODEL_INTERACTIONS, AI_USER_FEEDBACK, SCHEMA_VERSION } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { applySchema, createTableExporter } from '@aitdr/exporter';
import type { TableExporter } from '@aitdr/exporter';
import { postgresStore, sqliteStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest, StoredRow } from '@aitdr/tests/support/stores.js';
import { TraceRecorder, at } from '../support/traces.js';
import {
  ANSWER_SQL,
  ANSWER_TEXT,
  QUESTION,
  contribOpenAiSpan,
  openInferenceSpan,
  pg071Span,
  pgCurrentSpan,
} from '../support/library-spans.js';

const run = promisify(execFile);
/** The version-1 install scripts, frozen beside the schema's upgrade test. */
const versionOneInstall = (dialect: 'sqlite' | 'postgres') =>
  fileURLToPath(new URL(`../../../../test/schema/version-1/${dialect}-install.sql`, import.meta.url));

/** A SQLite file installed by schema version 1 (the exporter upgrades SQLite itself). */
async function sqliteAtVersion1(): Promise<StoreUnderTest> {
  const store = await sqliteStore();
  const db = new Database(store.url.slice('sqlite:'.length));
  db.exec(readFileSync(versionOneInstall('sqlite'), 'utf8'));
  db.close();
  await applySchema(store.url);
  return store;
}

/** A PostgreSQL database installed by schema version 1's psql script, then upgraded by its owner. */
async function postgresAtVersion1(): Promise<StoreUnderTest> {
  const store = await postgresStore();
  const psql = (...args: string[]) => run('psql', ['--no-psqlrc', '--quiet', '-d', store.url, ...args]);
  await psql('-c', 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await psql('-f', versionOneInstall('postgres'));
  await applySchema(store.url);
  return store;
}

const id = (span: { spanContext(): { spanId: string } }) => span.spanContext().spanId;

for (const [name, makeStore] of [
  ['a SQLite file', sqliteAtVersion1],
  ['PostgreSQL', postgresAtVersion1],
] as const) {
  describe(`library spans stored on ${name} upgraded from schema version 1`, () => {
    let store: StoreUnderTest;
    let exporter: TableExporter;
    const rowsOf = async (table: TableDef, traceId: string): Promise<StoredRow[]> =>
      (await store.rows(table)).filter((row) => row.QUERY_ID === traceId);

    beforeAll(async () => {
      store = await makeStore();
      exporter = createTableExporter({ store: store.url, stateDirectory: store.stateDirectory });
    });

    afterAll(async () => {
      await exporter?.shutdown();
      await store?.close();
    });

    it('is at the current version', async () => {
      // Every migration from the baseline on is recorded.
      expect(await store.column('SELECT VERSION FROM AI_SCHEMA_VERSION ORDER BY VERSION')).toEqual(
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
    });

    it('fills the stage rows the library spans ran under: one row per call, the library span named', async () => {
      const recorder = new TraceRecorder();
      const root = recorder.start('text_to_sql.query', {
        attributes: { [ATTR_STAGE]: 'query', 'text_to_sql.query.text': QUESTION },
        startTime: at(0),
      });
      const model = recorder.start('text_to_sql.model_interaction', {
        parent: root,
        kind: SpanKind.CLIENT,
        attributes: { [ATTR_STAGE]: 'model_interaction', 'text_to_sql.model.source': 'api' },
        startTime: at(10),
      });
      const openai = contribOpenAiSpan(recorder, { parent: model, startMs: 11 });
      model.end(at(30));
      const execution = recorder.start('text_to_sql.execution', {
        parent: root,
        kind: SpanKind.CLIENT,
        attributes: { [ATTR_STAGE]: 'execution' },
        startTime: at(40),
      });
      const pg = pg071Span(recorder, { parent: execution, startMs: 41 });
      execution.end(at(60));
      root.addEvent(
        'gen_ai.evaluation.result',
        {
          'gen_ai.evaluation.name': 'sql_correctness',
          'gen_ai.evaluation.score.label': 'fail',
          'gen_ai.evaluation.explanation': 'wrong grouping',
        },
        at(900),
      );
      root.end(at(1000));
      const traceId = root.spanContext().traceId;
      await exporter.writeTraces(recorder.take().map(toSpanRecord), { require: 'committed' });

      const interactions = await rowsOf(AI_MODEL_INTERACTIONS, traceId);
      expect(interactions).toHaveLength(1);
      expect(interactions[0]).toMatchObject({
        INTERACTION_ID: id(model),
        SOURCE_SPAN_ID: id(openai),
        MODEL_SOURCE: 'api',
        OPERATION_NAME: 'chat',
        PROVIDER: 'openai',
        REQUEST_MODEL: 'gpt-4o-mini',
        RESPONSE_MODEL: 'gpt-4o-mini-2024-07-18',
        RESPONSE_ID: 'chatcmpl-contrib-1',
        INPUT_TOKENS: 42,
        OUTPUT_TOKENS: 17,
        TEMPERATURE: 0,
        MAX_TOKENS: 256,
        FINISH_REASONS: ['stop'],
        GENERATED_SQL: ANSWER_SQL,
        GENERATED_SQL_FROM: 'fenced_sql_block',
      });
      expect(JSON.parse(interactions[0]?.RESPONSE_TEXT as string)).toEqual([
        { role: 'assistant', parts: [{ type: 'text', content: ANSWER_TEXT }], finish_reason: 'stop' },
      ]);
      expect(JSON.parse(interactions[0]?.PROMPT as string)).toHaveLength(2);

      const executions = await rowsOf(AI_EXECUTION_RESULTS, traceId);
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({
        EXECUTION_ID: id(execution),
        SOURCE_SPAN_ID: id(pg),
        EXECUTED_SQL: ANSWER_SQL,
        DB_SYSTEM: 'postgresql',
        DB_NAMESPACE: 'test',
        SUCCESS: true,
        INTERACTION_ID: id(model),
        INTERACTION_INFERRED: true,
      });

      const feedback = await rowsOf(AI_USER_FEEDBACK, traceId);
      expect(feedback).toHaveLength(1);
      expect(feedback[0]).toMatchObject({
        FEEDBACK_TRACE_ID: traceId,
        PARENT_SPAN_ID: id(root),
        IS_CORRECT: false,
        FEEDBACK_COMMENT: 'wrong grouping',
        ATTRIBUTES: { 'gen_ai.evaluation.name': 'sql_correctness' },
      });

      const otherSpans = (await store.scalar(
        'SELECT OTHER_SPANS FROM AI_TRAINING_QUERIES WHERE QUERY_ID = ?',
        [traceId],
      )) as string | null;
      expect(otherSpans).toBeNull();
    });

    it('makes the rows of library spans alone under the query, once even when written twice', async () => {
      const recorder = new TraceRecorder();
      const root = recorder.start('text_to_sql.query', {
        attributes: { [ATTR_STAGE]: 'query', 'text_to_sql.query.text': QUESTION },
        startTime: at(0),
      });
      const llm = openInferenceSpan(recorder, { parent: root, startMs: 10 });
      const pg = pgCurrentSpan(recorder, { parent: root, startMs: 30 });
      root.end(at(100));
      const traceId = root.spanContext().traceId;
      const spans = recorder.take();
      await exporter.writeTraces(spans.map(toSpanRecord), { require: 'committed' });
      await exporter.writeTraces(spans.map(toSpanRecord), { require: 'committed' });

      const interactions = await rowsOf(AI_MODEL_INTERACTIONS, traceId);
      expect(interactions).toHaveLength(1);
      expect(interactions[0]).toMatchObject({
        INTERACTION_ID: id(llm),
        SOURCE_SPAN_ID: id(llm),
        SPAN_NAME: 'OpenAI Chat Completions',
        REQUEST_MODEL: 'gpt-4o-mini',
        RESPONSE_MODEL: 'gpt-4o-mini-2024-07-18',
        INPUT_TOKENS: 44,
        OUTPUT_TOKENS: 19,
        GENERATED_SQL: ANSWER_SQL,
      });
      const executions = await rowsOf(AI_EXECUTION_RESULTS, traceId);
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({
        EXECUTION_ID: id(pg),
        SOURCE_SPAN_ID: id(pg),
        DB_NAMESPACE: 'test',
        OPERATION_NAME: 'SELECT',
        INTERACTION_ID: id(llm),
        INTERACTION_INFERRED: true,
      });
    });
  });
}
