/**
 * Realistic stage fields for the benchmarks, taken from the demo pipeline (real classifier,
 * schema context, prompts and responses of the model stand-ins, SQL processing, execution and
 * simulated feedback), so attribute sizes are those the recorder really sees. Every query gets
 * the same shape (one local model call that failed, a fallback holding the API call, selection,
 * processing, execution, later feedback), so each benchmark iteration records the same spans.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ClassificationFields,
  ExecutionFields,
  FallbackFields,
  ModelInteractionFields,
  QueryFields,
  ResponseSelectionFields,
  SchemaContextFields,
  SqlProcessingFields,
  UserFeedbackFields,
} from '@aitdr/conventions';
import {
  ApiModelStandIn,
  DEMO_QUESTIONS,
  LocalModelStandIn,
  answerQuestion,
  createRng,
  createSampleDatabase,
  judgeAnswer,
  loadSqlParser,
  openSampleDatabase,
  readDatabaseSchema,
  referenceRows,
  simulateFeedback,
} from '@aitdr/demo';

/** One query's stage fields, in the shape every benchmark records. */
export interface QueryShape {
  readonly query: QueryFields;
  readonly classification: ClassificationFields;
  readonly schemaContext: SchemaContextFields;
  /** The local model's call, which failed (recorded with `localError`). */
  readonly localCall: ModelInteractionFields;
  readonly localError: Error;
  /** The fallback to the API model; its span holds the API model's call. */
  readonly fallback: FallbackFields;
  readonly apiCall: ModelInteractionFields;
  readonly selection: ResponseSelectionFields;
  readonly processing: SqlProcessingFields;
  readonly execution: ExecutionFields;
  /** Later feedback; the query ID is added when it is recorded. */
  readonly feedback: Omit<UserFeedbackFields, 'queryId'>;
}

class LocalModelTimeout extends Error {
  override readonly name = 'ModelTimeoutError';
}

/** One shape per demo question (40), from a seeded run of the demo pipeline. */
export async function loadQueryShapes(seed = 7): Promise<QueryShape[]> {
  const directory = mkdtempSync(join(tmpdir(), 'aitdr-bench-demo-'));
  try {
    const path = join(directory, 'manufacturing.db');
    createSampleDatabase(path, { seed, overwrite: true });
    const db = openSampleDatabase(path);
    try {
      const parser = await loadSqlParser();
      const deps = {
        db,
        schema: readDatabaseSchema(db),
        parser,
        apiModel: new ApiModelStandIn(),
        localModel: new LocalModelStandIn(),
      };
      const rng = createRng(seed);
      const shapes: QueryShape[] = [];
      for (const [index, question] of DEMO_QUESTIONS.entries()) {
        const answer = await answerQuestion(question.text, deps, rng.fork(index));
        const attempt = answer.attempts.at(-1);
        const judgement = judgeAnswer(answer.outcome.rows, referenceRows(db, parser, question));
        const feedback =
          simulateFeedback(judgement, question, rng.fork(`feedback-${index}`), {
            answeredAt: new Date('2026-09-30T12:00:00Z'),
            username: `user-${index % 7}`,
            feedbackChance: { correct: 1, incorrect: 1, failed: 1 },
          }) ?? failIfMissing(question.id);
        const api = answer.modelCalls.api.fields;
        const local = answer.modelCalls.local.fields;
        shapes.push({
          query: {
            ...answer.query,
            username: `user-${index % 7}`,
            sessionId: `sess-${(index * 7919).toString(16).padStart(6, '0')}`,
            clientInfo: 'web-ui/2.4.1',
            queryMode: 'interactive',
          },
          classification: answer.classification.fields,
          schemaContext: answer.schemaContext.fields,
          localCall: { ...local, errorType: 'timeout' },
          localError: new LocalModelTimeout(`${local.requestModel} did not answer within 30000 ms`),
          fallback: {
            fromSource: 'local',
            toSource: 'api',
            reason: 'timeout',
            succeeded: true,
          },
          apiCall: api,
          selection: { ...(answer.selection?.fields ?? { selectedSource: 'api' }), strategy: 'fallback' },
          processing: attempt?.processing?.fields ?? { originalSql: api.generatedSql ?? '', isValid: false },
          execution: attempt?.execution?.fields ?? {
            queryText: api.generatedSql ?? '',
            dbSystem: 'sqlite',
            success: false,
          },
          feedback,
        });
      }
      return shapes;
    } finally {
      db.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function failIfMissing(questionId: string): never {
  throw new Error(`the demo gave no feedback for ${questionId}`);
}

/** Saves shapes for child processes, which then need not run the demo pipeline again. */
export function saveQueryShapes(shapes: readonly QueryShape[], path: string): void {
  const plain = shapes.map(({ localError, ...rest }) => ({ ...rest, localError: localError.message }));
  writeFileSync(path, JSON.stringify(plain));
}

export function readQueryShapes(path: string): QueryShape[] {
  const plain = JSON.parse(readFileSync(path, 'utf8')) as (Omit<QueryShape, 'localError'> & {
    localError: string;
  })[];
  return plain.map((shape) => ({ ...shape, localError: new LocalModelTimeout(shape.localError) }));
}
