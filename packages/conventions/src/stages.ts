import { SpanKind } from '@opentelemetry/api';
import { attribute } from './attribute-spec.js';
import type { AttributesOf, FieldSpecs, FieldsOf } from './attribute-spec.js';
import * as A from './attributes.js';

/** The pipeline stages, in the order a query passes through them. */
export const STAGE_NAMES = [
  'query',
  'classification',
  'schema_context',
  'model_interaction',
  'response_selection',
  'sql_processing',
  'execution',
  'fallback',
  'user_feedback',
] as const;

export type Stage = (typeof STAGE_NAMES)[number];

export const MODEL_SOURCES = ['api', 'local'] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];

export interface StageDefinition<S extends Stage = Stage, F extends FieldSpecs = FieldSpecs> {
  readonly stage: S;
  /** Default span name; see `stageSpanName` for stages whose semantic convention names spans. */
  readonly spanName: string;
  readonly spanKind: SpanKind;
  readonly description: string;
  /** Attributes of the stage keyed by the camelCase field name the typed helpers use. */
  readonly fields: F;
}

function defineStage<const S extends Stage, const F extends FieldSpecs>(
  definition: StageDefinition<S, F>,
): StageDefinition<S, F> {
  return definition;
}

/** Attributes every stage may carry. */
const common = {
  errorType: attribute(A.ATTR_ERROR_TYPE, {
    type: 'string',
    required: false,
    description: 'Class of error the stage ended with (exception type, ORA- code, `timeout`, …).',
    example: 'timeout',
  }),
} as const;

const interactionLink = attribute(A.ATTR_SQL_INTERACTION_ID, {
  type: 'string',
  required: false,
  description: 'Span ID (16 hex) of the model interaction whose SQL this span handles.',
  example: '5fb397be34d26b51',
});

function modelSource<const K extends string, const R extends boolean>(
  key: K,
  description: string,
  required: R,
) {
  return attribute(key, {
    type: 'string',
    required,
    values: MODEL_SOURCES,
    closed: true,
    description,
    example: 'api',
  });
}

export const QUERY = defineStage({
  stage: 'query',
  spanName: 'text_to_sql.query',
  spanKind: SpanKind.INTERNAL,
  description:
    'Root span of one question. Its trace ID is the query ID that ties every row of the nine tables together.',
  fields: {
    text: attribute(A.ATTR_QUERY_TEXT, {
      type: 'string',
      required: true,
      description: "The user's natural-language question.",
      example: 'show production efficiency trends for line 3',
    }),
    username: attribute(A.ATTR_USER_NAME, {
      type: 'string',
      required: false,
      description: 'Login name of the user who asked (can be redacted).',
      example: 'jsmith',
    }),
    userId: attribute(A.ATTR_USER_ID, {
      type: 'string',
      required: false,
      description: 'Stable identifier of the user.',
      example: 'u-10442',
    }),
    sessionId: attribute(A.ATTR_SESSION_ID, {
      type: 'string',
      required: false,
      description: 'Session of the assistant the question belongs to.',
      example: 'sess-7f3a',
    }),
    clientInfo: attribute(A.ATTR_CLIENT_INFO, {
      type: 'string',
      required: false,
      description: 'Free-form description of the client (UI, version, channel).',
      example: 'web-ui/2.4.1',
    }),
    databaseType: attribute(A.ATTR_QUERY_DATABASE_TYPE, {
      type: 'string',
      required: false,
      description: 'Kind of database the question is answered on.',
      example: 'oracle',
    }),
    queryMode: attribute(A.ATTR_QUERY_MODE, {
      type: 'string',
      required: false,
      values: ['interactive', 'batch', 'api', 'scheduled'],
      description: 'How the question was asked.',
      example: 'interactive',
    }),
    ...common,
  },
});

export const CLASSIFICATION = defineStage({
  stage: 'classification',
  spanName: 'text_to_sql.classification',
  spanKind: SpanKind.INTERNAL,
  description: 'Classifies the question (category, complexity) before SQL is generated.',
  fields: {
    category: attribute(A.ATTR_CLASSIFICATION_CATEGORY, {
      type: 'string',
      required: true,
      description: 'Category the classifier chose.',
      example: 'production_efficiency',
    }),
    confidence: attribute(A.ATTR_CLASSIFICATION_CONFIDENCE, {
      type: 'double',
      required: false,
      description: 'Classifier confidence between 0 and 1.',
      example: 0.92,
    }),
    complexity: attribute(A.ATTR_CLASSIFICATION_COMPLEXITY, {
      type: 'string',
      required: false,
      values: ['simple', 'moderate', 'complex'],
      description: 'Estimated complexity of the SQL needed.',
      example: 'moderate',
    }),
    classifier: attribute(A.ATTR_CLASSIFICATION_CLASSIFIER, {
      type: 'string',
      required: false,
      description: 'Name of the classifier (rule set or model) that decided.',
      example: 'keyword-rules-v2',
    }),
    ...common,
  },
});

export const SCHEMA_CONTEXT = defineStage({
  stage: 'schema_context',
  spanName: 'text_to_sql.schema_context',
  spanKind: SpanKind.INTERNAL,
  description: 'Retrieves the part of the database schema given to the models.',
  fields: {
    retrievalMethod: attribute(A.ATTR_SCHEMA_CONTEXT_RETRIEVAL_METHOD, {
      type: 'string',
      required: true,
      values: ['full_schema', 'keyword', 'embedding', 'cached'],
      description: 'How the tables were chosen.',
      example: 'keyword',
    }),
    tables: attribute(A.ATTR_SCHEMA_CONTEXT_TABLES, {
      type: 'string[]',
      required: false,
      description: 'Tables included in the context.',
      example: ['PRODUCTION_RUNS', 'LINES'],
    }),
    contextText: attribute(A.ATTR_SCHEMA_CONTEXT_TEXT, {
      type: 'string',
      required: false,
      description: 'The schema text exactly as given to the models.',
      example: 'CREATE TABLE LINES (LINE_ID NUMBER, NAME VARCHAR2(40));',
    }),
    tokenCount: attribute(A.ATTR_SCHEMA_CONTEXT_TOKEN_COUNT, {
      type: 'int',
      required: false,
      description: 'Tokens the context occupies in the prompt.',
      example: 412,
    }),
    dbNamespace: attribute(A.ATTR_DB_NAMESPACE, {
      type: 'string',
      required: false,
      description: 'Schema or database the tables belong to.',
      example: 'MFG',
    }),
    ...common,
  },
});

export const MODEL_INTERACTION = defineStage({
  stage: 'model_interaction',
  spanName: 'text_to_sql.model_interaction',
  spanKind: SpanKind.CLIENT,
  description:
    'One call to a model (the hosted API model or the local model) that generates SQL. Named `{gen_ai.operation.name} {gen_ai.request.model}` as the GenAI conventions ask.',
  fields: {
    source: modelSource(A.ATTR_MODEL_SOURCE, 'Which model family answered: `api` or `local`.', true),
    operationName: attribute(A.ATTR_GEN_AI_OPERATION_NAME, {
      type: 'string',
      required: true,
      values: ['chat', 'text_completion', 'generate_content'],
      description: 'GenAI operation.',
      example: 'chat',
    }),
    provider: attribute(A.ATTR_GEN_AI_PROVIDER_NAME, {
      type: 'string',
      required: true,
      description: 'GenAI provider (`openai`, `anthropic`, or the local runtime).',
      example: 'openai',
    }),
    requestModel: attribute(A.ATTR_GEN_AI_REQUEST_MODEL, {
      type: 'string',
      required: true,
      description: 'Model asked for.',
      example: 'gpt-4o',
    }),
    responseModel: attribute(A.ATTR_GEN_AI_RESPONSE_MODEL, {
      type: 'string',
      required: false,
      description: 'Model that answered.',
      example: 'gpt-4o-2024-08-06',
    }),
    responseId: attribute(A.ATTR_GEN_AI_RESPONSE_ID, {
      type: 'string',
      required: false,
      description: 'Identifier the provider gave the response.',
      example: 'chatcmpl-123',
    }),
    temperature: attribute(A.ATTR_GEN_AI_REQUEST_TEMPERATURE, {
      type: 'double',
      required: false,
      description: 'Sampling temperature.',
      example: 0.1,
    }),
    maxTokens: attribute(A.ATTR_GEN_AI_REQUEST_MAX_TOKENS, {
      type: 'int',
      required: false,
      description: 'Maximum tokens requested.',
      example: 512,
    }),
    inputMessages: attribute(A.ATTR_GEN_AI_INPUT_MESSAGES, {
      type: 'json',
      required: false,
      description: 'The prompt, as GenAI input messages in JSON (can be redacted).',
      example: '[{"role":"user","parts":[{"type":"text","content":"show downtime by line"}]}]',
    }),
    outputMessages: attribute(A.ATTR_GEN_AI_OUTPUT_MESSAGES, {
      type: 'json',
      required: false,
      description: 'The response, as GenAI output messages in JSON (can be redacted).',
      example: '[{"role":"assistant","parts":[{"type":"text","content":"SELECT …"}],"finish_reason":"stop"}]',
    }),
    generatedSql: attribute(A.ATTR_MODEL_GENERATED_SQL, {
      type: 'string',
      required: false,
      description: 'SQL extracted from the response.',
      example: 'SELECT LINE_ID, SUM(MINUTES) FROM DOWNTIME GROUP BY LINE_ID',
    }),
    inputTokens: attribute(A.ATTR_GEN_AI_USAGE_INPUT_TOKENS, {
      type: 'int',
      required: false,
      description: 'Tokens in the prompt.',
      example: 820,
    }),
    outputTokens: attribute(A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, {
      type: 'int',
      required: false,
      description: 'Tokens in the response.',
      example: 64,
    }),
    finishReasons: attribute(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, {
      type: 'string[]',
      required: false,
      description: 'Why the model stopped, one entry per choice.',
      example: ['stop'],
    }),
    latencyMs: attribute(A.ATTR_MODEL_LATENCY_MS, {
      type: 'double',
      required: false,
      description: 'Model latency in milliseconds when it differs from the span duration.',
      example: 1234.5,
    }),
    ...common,
  },
});

export const RESPONSE_SELECTION = defineStage({
  stage: 'response_selection',
  spanName: 'text_to_sql.response_selection',
  spanKind: SpanKind.INTERNAL,
  description: 'Chooses which model response to use.',
  fields: {
    selectedSource: modelSource(A.ATTR_SELECTION_SOURCE, 'Source of the chosen response.', true),
    strategy: attribute(A.ATTR_SELECTION_STRATEGY, {
      type: 'string',
      required: true,
      values: [
        'api_preferred',
        'local_preferred',
        'agreement',
        'highest_score',
        'only_candidate',
        'fallback',
      ],
      description: 'Rule used to choose.',
      example: 'agreement',
    }),
    selectedInteractionId: attribute(A.ATTR_SELECTION_INTERACTION_ID, {
      type: 'string',
      required: false,
      description: 'Span ID (16 hex) of the chosen model interaction.',
      example: '5fb397be34d26b51',
    }),
    reason: attribute(A.ATTR_SELECTION_REASON, {
      type: 'string',
      required: false,
      description: 'Why this response won, in words.',
      example: 'both models produced the same SQL',
    }),
    candidateScores: attribute(A.ATTR_SELECTION_CANDIDATE_SCORES, {
      type: 'json',
      required: false,
      description: 'Score of each candidate as a JSON object or array.',
      example: '{"api":0.91,"local":0.74}',
    }),
    sqlAgreement: attribute(A.ATTR_SELECTION_SQL_AGREEMENT, {
      type: 'boolean',
      required: false,
      description: 'Whether the API and local SQL were equivalent.',
      example: true,
    }),
    ...common,
  },
});

export const SQL_PROCESSING = defineStage({
  stage: 'sql_processing',
  spanName: 'text_to_sql.sql_processing',
  spanKind: SpanKind.INTERNAL,
  description:
    'Validates and rewrites generated SQL before it runs (read-only policy, limits, dialect fixes).',
  fields: {
    originalSql: attribute(A.ATTR_SQL_ORIGINAL, {
      type: 'string',
      required: true,
      description: 'SQL as the model produced it.',
      example: 'select * from downtime',
    }),
    processedSql: attribute(A.ATTR_SQL_PROCESSED, {
      type: 'string',
      required: false,
      description: 'SQL after processing, as it will run.',
      example: 'SELECT * FROM DOWNTIME FETCH FIRST 1000 ROWS ONLY',
    }),
    isValid: attribute(A.ATTR_VALIDATION_IS_VALID, {
      type: 'boolean',
      required: true,
      description: 'Whether the SQL passed validation.',
      example: true,
    }),
    validationErrors: attribute(A.ATTR_VALIDATION_ERRORS, {
      type: 'string[]',
      required: false,
      description: 'Why validation failed, one entry per problem.',
      example: ['statement is not read-only: DELETE'],
    }),
    transformations: attribute(A.ATTR_SQL_TRANSFORMATIONS, {
      type: 'string[]',
      required: false,
      description: 'Rewrites applied, in order.',
      example: ['added row limit'],
    }),
    blockedByPolicy: attribute(A.ATTR_VALIDATION_BLOCKED_BY_POLICY, {
      type: 'boolean',
      required: false,
      description: 'Whether a policy (read-only, forbidden table) refused the SQL.',
      example: false,
    }),
    statementType: attribute(A.ATTR_DB_OPERATION_NAME, {
      type: 'string',
      required: false,
      description: 'Statement type found by the parser.',
      example: 'SELECT',
    }),
    interactionId: interactionLink,
    ...common,
  },
});

export const EXECUTION = defineStage({
  stage: 'execution',
  spanName: 'text_to_sql.execution',
  spanKind: SpanKind.CLIENT,
  description: 'Runs the SQL on the target database.',
  fields: {
    queryText: attribute(A.ATTR_DB_QUERY_TEXT, {
      type: 'string',
      required: true,
      description: 'SQL that was executed.',
      example: 'SELECT LINE_ID, SUM(MINUTES) FROM DOWNTIME GROUP BY LINE_ID',
    }),
    dbSystem: attribute(A.ATTR_DB_SYSTEM_NAME, {
      type: 'string',
      required: false,
      description: 'Database system (`oracle.db`, `postgresql`, `sqlite`).',
      example: 'oracle.db',
    }),
    dbNamespace: attribute(A.ATTR_DB_NAMESPACE, {
      type: 'string',
      required: false,
      description: 'Database or schema the SQL ran in.',
      example: 'MFG',
    }),
    operationName: attribute(A.ATTR_DB_OPERATION_NAME, {
      type: 'string',
      required: false,
      description: 'Statement type.',
      example: 'SELECT',
    }),
    success: attribute(A.ATTR_EXECUTION_SUCCESS, {
      type: 'boolean',
      required: false,
      description: 'Whether the SQL ran without error; defaults to the span status when absent.',
      example: true,
    }),
    returnedRows: attribute(A.ATTR_DB_RESPONSE_RETURNED_ROWS, {
      type: 'int',
      required: false,
      description: 'Rows returned.',
      example: 42,
    }),
    columnNames: attribute(A.ATTR_EXECUTION_COLUMN_NAMES, {
      type: 'string[]',
      required: false,
      description: 'Names of the result columns.',
      example: ['LINE_ID', 'TOTAL_MINUTES'],
    }),
    resultSample: attribute(A.ATTR_EXECUTION_RESULT_SAMPLE, {
      type: 'json',
      required: false,
      description: 'First rows of the result as JSON (can be redacted).',
      example: '[[1,340],[2,125]]',
    }),
    errorCode: attribute(A.ATTR_DB_RESPONSE_STATUS_CODE, {
      type: 'string',
      required: false,
      description: 'Database error code when the SQL failed.',
      example: 'ORA-00942',
    }),
    interactionId: interactionLink,
    ...common,
  },
});

export const FALLBACK = defineStage({
  stage: 'fallback',
  spanName: 'text_to_sql.fallback',
  spanKind: SpanKind.INTERNAL,
  description:
    'Switching from one model to another after a failure; the span covers the fallback work, so the replacement model interaction is its child.',
  fields: {
    fromSource: modelSource(A.ATTR_FALLBACK_FROM_SOURCE, 'Source that failed.', true),
    toSource: modelSource(A.ATTR_FALLBACK_TO_SOURCE, 'Source fallen back to.', true),
    reason: attribute(A.ATTR_FALLBACK_REASON, {
      type: 'string',
      required: true,
      values: ['timeout', 'model_error', 'invalid_sql', 'execution_error', 'low_confidence', 'rate_limited'],
      description: 'Why the fallback fired.',
      example: 'timeout',
    }),
    fromModel: attribute(A.ATTR_FALLBACK_FROM_MODEL, {
      type: 'string',
      required: false,
      description: 'Model that failed.',
      example: 'gpt-4o',
    }),
    toModel: attribute(A.ATTR_FALLBACK_TO_MODEL, {
      type: 'string',
      required: false,
      description: 'Model fallen back to.',
      example: 'sqlcoder-7b',
    }),
    triggerStage: attribute(A.ATTR_FALLBACK_TRIGGER_STAGE, {
      type: 'string',
      required: false,
      values: STAGE_NAMES,
      description: 'Stage where the failure happened.',
      example: 'model_interaction',
    }),
    error: attribute(A.ATTR_FALLBACK_ERROR, {
      type: 'string',
      required: false,
      description: 'Error message of the failure.',
      example: 'request timed out after 10000 ms',
    }),
    succeeded: attribute(A.ATTR_FALLBACK_SUCCEEDED, {
      type: 'boolean',
      required: false,
      description: 'Whether the fallback produced a usable answer.',
      example: true,
    }),
    ...common,
  },
});

export const USER_FEEDBACK = defineStage({
  stage: 'user_feedback',
  spanName: 'text_to_sql.user_feedback',
  spanKind: SpanKind.INTERNAL,
  description:
    "Feedback given later, possibly by another process: a trace of its own whose span links to the query's root span and names the query ID.",
  fields: {
    queryId: attribute(A.ATTR_FEEDBACK_QUERY_ID, {
      type: 'string',
      required: true,
      description: 'Query ID (trace ID, 32 hex) the feedback is about.',
      example: '4bf92f3577b34da6a3ce929d0e0e4736',
    }),
    rating: attribute(A.ATTR_FEEDBACK_RATING, {
      type: 'int',
      required: false,
      description: 'Rating from 1 (bad) to 5 (good).',
      example: 4,
    }),
    isCorrect: attribute(A.ATTR_FEEDBACK_IS_CORRECT, {
      type: 'boolean',
      required: false,
      description: 'Whether the user judged the answer correct.',
      example: false,
    }),
    correctedSql: attribute(A.ATTR_FEEDBACK_CORRECTED_SQL, {
      type: 'string',
      required: false,
      description: 'SQL the user says is right; the gold answer for training.',
      example: 'SELECT LINE_ID, SUM(MINUTES) FROM DOWNTIME WHERE YEAR = 2026 GROUP BY LINE_ID',
    }),
    comment: attribute(A.ATTR_FEEDBACK_COMMENT, {
      type: 'string',
      required: false,
      description: 'Free-text comment.',
      example: 'should only count this year',
    }),
    username: attribute(A.ATTR_USER_NAME, {
      type: 'string',
      required: false,
      description: 'Who gave the feedback (can be redacted).',
      example: 'jsmith',
    }),
    submittedAt: attribute(A.ATTR_FEEDBACK_SUBMITTED_AT, {
      type: 'string',
      required: false,
      description: 'When the user gave the feedback (ISO-8601), if not when it was recorded.',
      example: '2026-11-25T09:30:00.000Z',
    }),
    ...common,
  },
});

/** Every stage's definition, keyed by stage. */
export const STAGES = {
  query: QUERY,
  classification: CLASSIFICATION,
  schema_context: SCHEMA_CONTEXT,
  model_interaction: MODEL_INTERACTION,
  response_selection: RESPONSE_SELECTION,
  sql_processing: SQL_PROCESSING,
  execution: EXECUTION,
  fallback: FALLBACK,
  user_feedback: USER_FEEDBACK,
} as const;

type Stages = typeof STAGES;

/** camelCase input of a stage, as the typed helpers take it. */
export type StageFields<S extends Stage> = FieldsOf<Stages[S]['fields']>;
/** Attributes of a stage keyed by attribute name, as plain `startActiveSpan` users set them. */
export type StageAttributes<S extends Stage> = AttributesOf<Stages[S]['fields']> & {
  readonly [A.ATTR_STAGE]: S;
};

export type QueryFields = StageFields<'query'>;
export type ClassificationFields = StageFields<'classification'>;
export type SchemaContextFields = StageFields<'schema_context'>;
export type ModelInteractionFields = StageFields<'model_interaction'>;
export type ResponseSelectionFields = StageFields<'response_selection'>;
export type SqlProcessingFields = StageFields<'sql_processing'>;
export type ExecutionFields = StageFields<'execution'>;
export type FallbackFields = StageFields<'fallback'>;
export type UserFeedbackFields = StageFields<'user_feedback'>;

export type QueryAttributes = StageAttributes<'query'>;
export type ClassificationAttributes = StageAttributes<'classification'>;
export type SchemaContextAttributes = StageAttributes<'schema_context'>;
export type ModelInteractionAttributes = StageAttributes<'model_interaction'>;
export type ResponseSelectionAttributes = StageAttributes<'response_selection'>;
export type SqlProcessingAttributes = StageAttributes<'sql_processing'>;
export type ExecutionAttributes = StageAttributes<'execution'>;
export type FallbackAttributes = StageAttributes<'fallback'>;
export type UserFeedbackAttributes = StageAttributes<'user_feedback'>;
