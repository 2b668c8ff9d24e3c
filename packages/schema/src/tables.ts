import * as C from '@aitdr/conventions';
import type { Stage } from '@aitdr/conventions';
import type {
  ColumnDef,
  ColumnSource,
  ColumnType,
  IndexDef,
  RecognitionField,
  SpanField,
  TableDef,
} from './types.js';

/** Bumped whenever the tables change; recorded in AI_SCHEMA_VERSION by every install script. */
export const SCHEMA_VERSION = 3;

const T = {
  traceId: { kind: 'id', length: 32 },
  spanId: { kind: 'id', length: 16 },
  text: { kind: 'text' },
  json: { kind: 'json' },
  integer: { kind: 'integer' },
  bigint: { kind: 'bigint' },
  double: { kind: 'double' },
  millis: { kind: 'decimal', precision: 15, scale: 3 },
  boolean: { kind: 'boolean' },
  timestamp: { kind: 'timestamp' },
} as const satisfies Record<string, ColumnType>;

const varchar = (length: number): ColumnType => ({ kind: 'varchar', length });
const fromAttribute = (key: string): ColumnSource => ({ kind: 'attribute', key });
const fromSpan = (field: SpanField): ColumnSource => ({ kind: 'span', field });
const fromRecognition = (field: RecognitionField): ColumnSource => ({ kind: 'recognition', field });

interface ColumnOptions {
  nullable?: boolean;
  allowed?: readonly (string | number)[];
  range?: readonly [number, number];
}

function column(
  name: string,
  type: ColumnType,
  sources: readonly ColumnSource[],
  description: string,
  options: ColumnOptions = {},
): ColumnDef {
  return { name, type, sources, description, nullable: options.nullable ?? true, ...pick(options) };
}

function pick({ allowed, range }: ColumnOptions): Pick<ColumnDef, 'allowed' | 'range'> {
  return { ...(allowed ? { allowed } : {}), ...(range ? { range } : {}) };
}

/** A column filled from one attribute. */
const attr = (name: string, type: ColumnType, key: string, description: string, options?: ColumnOptions) =>
  column(name, type, [fromAttribute(key)], description, options);

const QUERIES_TABLE = 'AI_TRAINING_QUERIES';

/** Stage rows belong to a query; deleting the query deletes them (one user's data goes in one statement). */
const QUERY_FK = [
  { columns: ['QUERY_ID'], references: { table: QUERIES_TABLE, columns: ['QUERY_ID'] }, onDelete: 'cascade' },
] as const;

const STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const;
export const TRACE_STATUSES = ['COMPLETE', 'INCOMPLETE'] as const;

/** Columns every span-fed row starts with, after its own ID and QUERY_ID. */
function spanIdentityColumns(spanRequired: boolean): ColumnDef[] {
  return [
    column('SPAN_ID', T.spanId, [fromSpan('spanId')], 'Span ID (16 hex).', { nullable: !spanRequired }),
    column('PARENT_SPAN_ID', T.spanId, [fromSpan('parentSpanId')], 'Parent span ID; empty for a root span.'),
    column('SPAN_NAME', varchar(256), [fromSpan('name')], 'Span name.', { nullable: !spanRequired }),
  ];
}

/** Columns every span-fed row ends with: timing, status, and everything without a column. */
function spanOutcomeColumns(spanRequired: boolean): ColumnDef[] {
  const timed = { nullable: !spanRequired };
  return [
    column('START_TIME', T.timestamp, [fromSpan('startTime')], 'Span start (microsecond precision).', timed),
    column('END_TIME', T.timestamp, [fromSpan('endTime')], 'Span end (microsecond precision).', timed),
    column('DURATION_MS', T.millis, [fromSpan('durationMs')], 'End minus start in milliseconds.', timed),
    column('STATUS_CODE', varchar(8), [fromSpan('statusCode')], 'Span status: UNSET, OK or ERROR.', {
      nullable: false,
      allowed: STATUS_CODES,
    }),
    attr('ERROR_TYPE', varchar(256), C.ATTR_ERROR_TYPE, 'Class of error (`error.type`).'),
    column('ERROR_MESSAGE', T.text, [fromSpan('statusMessage')], 'Span status message.'),
    column(
      'ATTRIBUTES',
      T.json,
      [{ kind: 'unmapped-attributes' }],
      'Every span attribute without a column of its own, as a JSON object, so nothing recorded is lost.',
    ),
    column('EVENTS', T.json, [{ kind: 'events' }], 'Span events (exceptions, …) as a JSON array.'),
    column('LINKS', T.json, [{ kind: 'links' }], 'Span links as a JSON array.'),
    column('RECORDED_AT', T.timestamp, [{ kind: 'insert-time' }], 'When the row was written.', {
      nullable: false,
    }),
  ];
}

/**
 * A table fed by the spans of one stage: ID = span ID, QUERY_ID = trace ID, primary key
 * (QUERY_ID, ID). The key leads with QUERY_ID, so it is also the index behind the foreign key.
 */
function stageTable(options: {
  name: string;
  code: string;
  stage: Stage;
  idColumn: string;
  description: string;
  columns: ColumnDef[];
  indexes?: IndexDef[];
}): TableDef {
  return {
    name: options.name,
    code: options.code,
    stage: options.stage,
    description: options.description,
    columns: [
      column(options.idColumn, T.spanId, [fromSpan('spanId')], 'Row ID: the span ID of the stage span.', {
        nullable: false,
      }),
      column('QUERY_ID', T.traceId, [fromSpan('traceId')], 'The query (trace ID) this row belongs to.', {
        nullable: false,
      }),
      ...spanIdentityColumns(true),
      ...options.columns,
      ...spanOutcomeColumns(true),
    ],
    primaryKey: ['QUERY_ID', options.idColumn],
    foreignKeys: QUERY_FK,
    indexes: options.indexes ?? [],
  };
}

const sourceSpanColumn = (idColumn: string) =>
  column(
    'SOURCE_SPAN_ID',
    T.spanId,
    [fromRecognition('sourceSpanId')],
    `Span ID of the instrumentation-library span recognised into this row (the latest-ending one when several were); ${idColumn} itself when the row is that span's own; empty for a stage span alone.`,
  );

/** Columns schema version 3 added (recognised library spans); its migration adds them to an older store. */
export const RECOGNITION_COLUMNS = {
  AI_MODEL_INTERACTIONS: [
    sourceSpanColumn('INTERACTION_ID'),
    column(
      'GENERATED_SQL_FROM',
      varchar(32),
      [fromRecognition('generatedSqlFrom')],
      'How GENERATED_SQL was found in the response text: `fenced_sql_block` or `whole_response`; empty when an attribute gave it (or there is none).',
      { allowed: ['fenced_sql_block', 'whole_response'] },
    ),
  ],
  AI_EXECUTION_RESULTS: [
    sourceSpanColumn('EXECUTION_ID'),
    column(
      'INTERACTION_INFERRED',
      T.boolean,
      [fromRecognition('interactionInferred')],
      'True when INTERACTION_ID was not given but inferred (the selected, else the only model interaction of the query); empty when given or absent.',
    ),
  ],
} as const satisfies Readonly<Record<string, readonly ColumnDef[]>>;

export const AI_TRAINING_QUERIES: TableDef = {
  name: QUERIES_TABLE,
  code: 'QRY',
  stage: 'query',
  description:
    'One row per question: the root span. Created as INCOMPLETE when stage rows arrive before their root.',
  columns: [
    column('QUERY_ID', T.traceId, [fromSpan('traceId')], 'Query ID: the trace ID (32 lower-case hex).', {
      nullable: false,
    }),
    ...spanIdentityColumns(false),
    attr('QUERY_TEXT', T.text, C.ATTR_QUERY_TEXT, "The user's question."),
    attr('USERNAME', varchar(256), C.ATTR_USER_NAME, 'Who asked (can be redacted).'),
    attr('USER_ID', varchar(256), C.ATTR_USER_ID, 'Stable user identifier.'),
    attr('SESSION_ID', varchar(256), C.ATTR_SESSION_ID, 'Assistant session.'),
    attr('CLIENT_INFO', varchar(1000), C.ATTR_CLIENT_INFO, 'Client description.'),
    attr('DATABASE_TYPE', varchar(64), C.ATTR_QUERY_DATABASE_TYPE, 'Target database kind.'),
    attr('QUERY_MODE', varchar(64), C.ATTR_QUERY_MODE, 'How the question was asked.'),
    column(
      'SERVICE_NAME',
      varchar(256),
      [{ kind: 'resource', key: C.ATTR_SERVICE_NAME }],
      'Recording service (resource `service.name`).',
    ),
    column(
      'SERVICE_VERSION',
      varchar(128),
      [{ kind: 'resource', key: C.ATTR_SERVICE_VERSION }],
      'Its version (resource `service.version`).',
    ),
    column(
      'TRACE_STATUS',
      varchar(16),
      [{ kind: 'trace-status' }],
      'COMPLETE when the root span is stored; INCOMPLETE while the row stands in for a root that has not arrived.',
      { nullable: false, allowed: TRACE_STATUSES },
    ),
    column(
      'RESOURCE_ATTRIBUTES',
      T.json,
      [{ kind: 'unmapped-resource-attributes' }],
      'Resource attributes without a column (host, SDK, …) as a JSON object.',
    ),
    column(
      'OTHER_SPANS',
      T.json,
      [{ kind: 'other-spans' }],
      'Spans of the trace that name no known stage (auto-instrumentation, …), kept whole as a JSON array.',
    ),
    ...spanOutcomeColumns(false),
  ],
  primaryKey: ['QUERY_ID'],
  foreignKeys: [],
  indexes: [
    { name: 'AI_QRY_START_IX', columns: ['START_TIME'] },
    { name: 'AI_QRY_SESSION_IX', columns: ['SESSION_ID'] },
  ],
};

export const AI_QUERY_CLASSIFICATIONS = stageTable({
  name: 'AI_QUERY_CLASSIFICATIONS',
  code: 'CLS',
  stage: 'classification',
  idColumn: 'CLASSIFICATION_ID',
  description: 'How each question was classified.',
  columns: [
    attr('CATEGORY', varchar(128), C.ATTR_CLASSIFICATION_CATEGORY, 'Category chosen.'),
    attr('CONFIDENCE', T.double, C.ATTR_CLASSIFICATION_CONFIDENCE, 'Confidence between 0 and 1.'),
    attr('COMPLEXITY', varchar(32), C.ATTR_CLASSIFICATION_COMPLEXITY, 'Estimated complexity.'),
    attr('CLASSIFIER', varchar(256), C.ATTR_CLASSIFICATION_CLASSIFIER, 'Classifier that decided.'),
  ],
});

export const AI_SCHEMA_CONTEXTS = stageTable({
  name: 'AI_SCHEMA_CONTEXTS',
  code: 'SCX',
  stage: 'schema_context',
  idColumn: 'CONTEXT_ID',
  description: 'The schema context retrieved for each question.',
  columns: [
    attr('RETRIEVAL_METHOD', varchar(64), C.ATTR_SCHEMA_CONTEXT_RETRIEVAL_METHOD, 'How tables were chosen.'),
    attr('TABLES', T.json, C.ATTR_SCHEMA_CONTEXT_TABLES, 'Tables included, as a JSON array.'),
    attr('CONTEXT_TEXT', T.text, C.ATTR_SCHEMA_CONTEXT_TEXT, 'Schema text given to the models.'),
    attr('TOKEN_COUNT', T.integer, C.ATTR_SCHEMA_CONTEXT_TOKEN_COUNT, 'Tokens of the context.'),
    attr('DB_NAMESPACE', varchar(256), C.ATTR_DB_NAMESPACE, 'Schema the tables belong to.'),
  ],
});

export const AI_MODEL_INTERACTIONS = stageTable({
  name: 'AI_MODEL_INTERACTIONS',
  code: 'MDL',
  stage: 'model_interaction',
  idColumn: 'INTERACTION_ID',
  description: 'Every call to the API model or the local model.',
  columns: [
    attr('MODEL_SOURCE', varchar(16), C.ATTR_MODEL_SOURCE, '`api` or `local`.'),
    attr('OPERATION_NAME', varchar(64), C.ATTR_GEN_AI_OPERATION_NAME, 'GenAI operation.'),
    attr('PROVIDER', varchar(128), C.ATTR_GEN_AI_PROVIDER_NAME, 'GenAI provider.'),
    attr('REQUEST_MODEL', varchar(256), C.ATTR_GEN_AI_REQUEST_MODEL, 'Model asked for.'),
    attr('RESPONSE_MODEL', varchar(256), C.ATTR_GEN_AI_RESPONSE_MODEL, 'Model that answered.'),
    attr('RESPONSE_ID', varchar(256), C.ATTR_GEN_AI_RESPONSE_ID, 'Provider response ID.'),
    attr('PROMPT', T.text, C.ATTR_GEN_AI_INPUT_MESSAGES, 'Prompt as GenAI input messages (JSON text).'),
    attr(
      'RESPONSE_TEXT',
      T.text,
      C.ATTR_GEN_AI_OUTPUT_MESSAGES,
      'Response as GenAI output messages (JSON text).',
    ),
    attr('GENERATED_SQL', T.text, C.ATTR_MODEL_GENERATED_SQL, 'SQL extracted from the response.'),
    attr('INPUT_TOKENS', T.integer, C.ATTR_GEN_AI_USAGE_INPUT_TOKENS, 'Prompt tokens.'),
    attr('OUTPUT_TOKENS', T.integer, C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, 'Response tokens.'),
    attr('TEMPERATURE', T.double, C.ATTR_GEN_AI_REQUEST_TEMPERATURE, 'Sampling temperature.'),
    attr('MAX_TOKENS', T.integer, C.ATTR_GEN_AI_REQUEST_MAX_TOKENS, 'Maximum tokens requested.'),
    attr('FINISH_REASONS', T.json, C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, 'Finish reasons as a JSON array.'),
    column(
      'LATENCY_MS',
      T.millis,
      [fromAttribute(C.ATTR_MODEL_LATENCY_MS), fromSpan('durationMs')],
      'Model latency in ms; the span duration unless the attribute says otherwise.',
    ),
    ...RECOGNITION_COLUMNS.AI_MODEL_INTERACTIONS,
  ],
});

export const AI_RESPONSE_SELECTIONS = stageTable({
  name: 'AI_RESPONSE_SELECTIONS',
  code: 'SEL',
  stage: 'response_selection',
  idColumn: 'SELECTION_ID',
  description: 'Which response was chosen for each question, and why.',
  columns: [
    attr(
      'SELECTED_INTERACTION_ID',
      T.spanId,
      C.ATTR_SELECTION_INTERACTION_ID,
      'INTERACTION_ID of the chosen model interaction (same QUERY_ID).',
    ),
    attr('SELECTED_SOURCE', varchar(16), C.ATTR_SELECTION_SOURCE, '`api` or `local`.'),
    attr('STRATEGY', varchar(64), C.ATTR_SELECTION_STRATEGY, 'Selection rule.'),
    attr('REASON', varchar(1000), C.ATTR_SELECTION_REASON, 'Why, in words.'),
    attr('CANDIDATE_SCORES', T.json, C.ATTR_SELECTION_CANDIDATE_SCORES, 'Candidate scores (JSON).'),
    attr('SQL_AGREEMENT', T.boolean, C.ATTR_SELECTION_SQL_AGREEMENT, 'Whether API and local SQL agreed.'),
  ],
});

export const AI_SQL_PROCESSING = stageTable({
  name: 'AI_SQL_PROCESSING',
  code: 'SQP',
  stage: 'sql_processing',
  idColumn: 'PROCESSING_ID',
  description: 'Validation and rewriting of generated SQL.',
  columns: [
    attr('INTERACTION_ID', T.spanId, C.ATTR_SQL_INTERACTION_ID, 'Model interaction whose SQL was processed.'),
    attr('ORIGINAL_SQL', T.text, C.ATTR_SQL_ORIGINAL, 'SQL as generated.'),
    attr('PROCESSED_SQL', T.text, C.ATTR_SQL_PROCESSED, 'SQL as it will run.'),
    attr('IS_VALID', T.boolean, C.ATTR_VALIDATION_IS_VALID, 'Passed validation.'),
    attr('VALIDATION_ERRORS', T.json, C.ATTR_VALIDATION_ERRORS, 'Validation problems (JSON array).'),
    attr('TRANSFORMATIONS', T.json, C.ATTR_SQL_TRANSFORMATIONS, 'Rewrites applied (JSON array).'),
    attr('BLOCKED_BY_POLICY', T.boolean, C.ATTR_VALIDATION_BLOCKED_BY_POLICY, 'Refused by a policy.'),
    attr('STATEMENT_TYPE', varchar(64), C.ATTR_DB_OPERATION_NAME, 'Statement type (`db.operation.name`).'),
  ],
});

export const AI_EXECUTION_RESULTS = stageTable({
  name: 'AI_EXECUTION_RESULTS',
  code: 'EXR',
  stage: 'execution',
  idColumn: 'EXECUTION_ID',
  description: 'Each run of SQL on the target database.',
  columns: [
    attr('INTERACTION_ID', T.spanId, C.ATTR_SQL_INTERACTION_ID, 'Model interaction whose SQL ran.'),
    attr('EXECUTED_SQL', T.text, C.ATTR_DB_QUERY_TEXT, 'SQL executed (`db.query.text`).'),
    attr('DB_SYSTEM', varchar(64), C.ATTR_DB_SYSTEM_NAME, 'Database system (`db.system.name`).'),
    attr('DB_NAMESPACE', varchar(256), C.ATTR_DB_NAMESPACE, 'Database or schema.'),
    attr('OPERATION_NAME', varchar(64), C.ATTR_DB_OPERATION_NAME, 'Statement type.'),
    column(
      'SUCCESS',
      T.boolean,
      [fromAttribute(C.ATTR_EXECUTION_SUCCESS), fromSpan('statusNotError')],
      'Ran without error; the span status decides when the attribute is absent.',
      { nullable: false },
    ),
    attr('RETURNED_ROWS', T.bigint, C.ATTR_DB_RESPONSE_RETURNED_ROWS, 'Rows returned.'),
    attr('COLUMN_NAMES', T.json, C.ATTR_EXECUTION_COLUMN_NAMES, 'Result column names (JSON array).'),
    attr('RESULT_SAMPLE', T.json, C.ATTR_EXECUTION_RESULT_SAMPLE, 'First rows (JSON).'),
    attr('ERROR_CODE', varchar(64), C.ATTR_DB_RESPONSE_STATUS_CODE, 'Database error code (`ORA-00942`).'),
    ...RECOGNITION_COLUMNS.AI_EXECUTION_RESULTS,
  ],
});

export const AI_FALLBACK_EVENTS = stageTable({
  name: 'AI_FALLBACK_EVENTS',
  code: 'FBK',
  stage: 'fallback',
  idColumn: 'FALLBACK_ID',
  description: 'Every switch from one model to another after a failure.',
  columns: [
    attr('FROM_SOURCE', varchar(16), C.ATTR_FALLBACK_FROM_SOURCE, 'Source that failed.'),
    attr('FROM_MODEL', varchar(256), C.ATTR_FALLBACK_FROM_MODEL, 'Model that failed.'),
    attr('TO_SOURCE', varchar(16), C.ATTR_FALLBACK_TO_SOURCE, 'Source fallen back to.'),
    attr('TO_MODEL', varchar(256), C.ATTR_FALLBACK_TO_MODEL, 'Model fallen back to.'),
    attr('TRIGGER_STAGE', varchar(64), C.ATTR_FALLBACK_TRIGGER_STAGE, 'Stage where the failure happened.'),
    attr('REASON', varchar(64), C.ATTR_FALLBACK_REASON, 'Why the fallback fired.'),
    attr('ERROR_DETAIL', T.text, C.ATTR_FALLBACK_ERROR, 'Error message of the failure.'),
    attr('SUCCEEDED', T.boolean, C.ATTR_FALLBACK_SUCCEEDED, 'Fallback produced a usable answer.'),
  ],
});

export const AI_USER_FEEDBACK: TableDef = {
  name: 'AI_USER_FEEDBACK',
  code: 'UFB',
  stage: 'user_feedback',
  description:
    'Feedback on a query, recorded later in a trace of its own. QUERY_ID comes from the feedback attribute (or the span link), not from the feedback trace.',
  columns: [
    column('FEEDBACK_ID', T.spanId, [fromSpan('spanId')], 'Row ID: the span ID of the feedback span.', {
      nullable: false,
    }),
    column('FEEDBACK_TRACE_ID', T.traceId, [fromSpan('traceId')], 'Trace ID of the feedback trace.', {
      nullable: false,
    }),
    column(
      'QUERY_ID',
      T.traceId,
      [fromAttribute(C.ATTR_FEEDBACK_QUERY_ID), { kind: 'link', field: 'traceId' }],
      'The query the feedback is about.',
      { nullable: false },
    ),
    ...spanIdentityColumns(true),
    attr('RATING', T.integer, C.ATTR_FEEDBACK_RATING, 'Rating 1 (bad) to 5 (good).', { range: [1, 5] }),
    attr('IS_CORRECT', T.boolean, C.ATTR_FEEDBACK_IS_CORRECT, 'User judged the answer correct.'),
    attr('CORRECTED_SQL', T.text, C.ATTR_FEEDBACK_CORRECTED_SQL, 'SQL the user says is right.'),
    attr('FEEDBACK_COMMENT', T.text, C.ATTR_FEEDBACK_COMMENT, 'Free-text comment.'),
    attr('USERNAME', varchar(256), C.ATTR_USER_NAME, 'Who gave the feedback (can be redacted).'),
    column(
      'FEEDBACK_TIME',
      T.timestamp,
      [fromAttribute(C.ATTR_FEEDBACK_SUBMITTED_AT), fromSpan('startTime')],
      'When the feedback was given: the attribute, else the span start.',
      { nullable: false },
    ),
    ...spanOutcomeColumns(true),
  ],
  primaryKey: ['FEEDBACK_TRACE_ID', 'FEEDBACK_ID'],
  foreignKeys: QUERY_FK,
  indexes: [{ name: 'AI_UFB_QUERY_IX', columns: ['QUERY_ID', 'FEEDBACK_TIME'] }],
};

/** The nine tables, parents first: the order to create and to insert in. */
export const TABLES: readonly TableDef[] = [
  AI_TRAINING_QUERIES,
  AI_QUERY_CLASSIFICATIONS,
  AI_SCHEMA_CONTEXTS,
  AI_MODEL_INTERACTIONS,
  AI_RESPONSE_SELECTIONS,
  AI_SQL_PROCESSING,
  AI_EXECUTION_RESULTS,
  AI_FALLBACK_EVENTS,
  AI_USER_FEEDBACK,
];

/** Records which schema version an install script applied. Not fed by spans. */
export const AI_SCHEMA_VERSION: TableDef = {
  name: 'AI_SCHEMA_VERSION',
  code: 'VER',
  description: 'One row per schema version installed.',
  columns: [
    column('VERSION', T.integer, [], 'Schema version number.', { nullable: false }),
    column('DESCRIPTION', varchar(256), [], 'What the version brought.', { nullable: false }),
    column('INSTALLED_AT', T.timestamp, [{ kind: 'insert-time' }], 'When it was installed.', {
      nullable: false,
    }),
  ],
  primaryKey: ['VERSION'],
  foreignKeys: [],
  indexes: [],
};

const tablesByStage = new Map<Stage, TableDef>(TABLES.map((table) => [table.stage as Stage, table]));

/** The table a stage's spans land in. */
export function tableForStage(stage: Stage): TableDef {
  const table = tablesByStage.get(stage);
  if (table === undefined) throw new Error(`no table for stage ${stage}`);
  return table;
}
