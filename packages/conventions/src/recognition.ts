/**
 * Recognition: how a span an instrumentation library made (OpenLLMetry, OpenInference, the
 * OpenTelemetry contrib instrumentations) is read as a model interaction or an execution when it
 * carries no `text_to_sql.stage`. Data only, like OpenTelemetry's schema-URL rename tables: which
 * spans are calls, and per attribute family which source attribute (or event) gives which of the
 * conventions' attributes. The exporter interprets it; `docs/conventions.md` lists it.
 */
import * as A from './attributes.js';

/** The stages a recognised call fills. */
export type RecognizedStage = 'model_interaction' | 'execution';

/** One attribute test: the key is present (with one of `values`, when given). */
export interface CallCondition {
  readonly key: string;
  readonly values?: readonly string[];
}

/** Which spans of no stage are calls of a stage. */
export interface RecognizedCall {
  readonly stage: RecognizedStage;
  /** The span kind the span must have (OpenTelemetry's name), when it matters. */
  readonly spanKind?: 'CLIENT';
  /** Each group must hold; a group holds when one of its conditions does. */
  readonly requires: readonly (readonly CallCondition[])[];
  readonly description: string;
}

export type MessageDirection = 'input' | 'output';

/** How a source becomes its target's value. */
export type RenameTransform =
  /** The value as it is. */
  | { readonly kind: 'copy' }
  /** Listed values mapped to others; a value not listed gives nothing. */
  | { readonly kind: 'map'; readonly values: Readonly<Record<string, string | boolean>> }
  /** A field of a JSON object held as text; the first of `fields` present. */
  | { readonly kind: 'json-field'; readonly fields: readonly string[] }
  /**
   * Messages flattened into `<source>.<n>.<role>`, `<source>.<n>.<content>` (and the finish
   * reason) become GenAI messages JSON.
   */
  | {
      readonly kind: 'indexed-messages';
      readonly direction: MessageDirection;
      readonly role: string;
      readonly content: string;
      readonly finishReason?: string;
    }
  /** A request or response body (OpenAI chat JSON, or plain text) becomes GenAI messages JSON. */
  | { readonly kind: 'body-messages'; readonly direction: MessageDirection }
  /** The span's GenAI message events (or log records attached as events) become GenAI messages JSON. */
  | {
      readonly kind: 'event-messages';
      readonly direction: MessageDirection;
      readonly events: readonly string[];
    }
  /** An attribute of the span's event named by `source`. */
  | { readonly kind: 'event-attribute'; readonly attribute: string }
  /** The finish reasons of the output messages found (`finish_reason` of each). */
  | { readonly kind: 'output-finish-reasons' }
  /** One string value as a list of one (a single finish reason where the target is a list). */
  | { readonly kind: 'one-item-list' }
  /**
   * System instructions (a JSON array of parts, on the span or its `event`) put before the input
   * messages found, as a system message: it adds to the target's value instead of giving one.
   */
  | { readonly kind: 'system-instructions'; readonly event: string };

/** One row of a rename table: `source` (an attribute key, a key prefix or an event name) → `target`. */
export interface AttributeRename {
  readonly source: string;
  /** An attribute key of the conventions; its column in the stage's table takes the value. */
  readonly target: string;
  readonly transform: RenameTransform;
}

export interface AttributeFamily {
  /** Short name, kept in a row's `text_to_sql.recognition.families`. */
  readonly id: string;
  readonly title: string;
  readonly stage: RecognizedStage;
  readonly description: string;
  readonly renames: readonly AttributeRename[];
}

const copy = { kind: 'copy' } as const;
const same = (key: string): AttributeRename => ({ source: key, target: key, transform: copy });
const rename = (source: string, target: string): AttributeRename => ({ source, target, transform: copy });

/** The chat-style operations: the ones that can answer with SQL (not embeddings, tools, agents). */
const GENERATING_OPERATIONS = ['chat', 'text_completion', 'generate_content'];

export const RECOGNIZED_CALLS: readonly RecognizedCall[] = [
  {
    stage: 'model_interaction',
    requires: [
      [
        { key: A.ATTR_GEN_AI_OPERATION_NAME, values: GENERATING_OPERATIONS },
        { key: 'llm.request.type', values: ['chat', 'completion'] },
        { key: 'openinference.span.kind', values: ['LLM'] },
      ],
    ],
    description:
      'A chat or completion call to a model: `gen_ai.operation.name` (chat, text_completion, generate_content), `llm.request.type` (chat, completion) or `openinference.span.kind = LLM`.',
  },
  {
    stage: 'execution',
    spanKind: 'CLIENT',
    requires: [
      [{ key: A.ATTR_DB_SYSTEM_NAME }, { key: 'db.system' }],
      [{ key: A.ATTR_DB_QUERY_TEXT }, { key: 'db.statement' }],
    ],
    description:
      'A CLIENT span naming a database system (`db.system.name` or `db.system`) and the query it ran (`db.query.text` or `db.statement`).',
  },
];

/** The GenAI events that carry one message each, and the role each stands for. */
export const GENAI_MESSAGE_EVENTS: Readonly<Record<string, { role: string; direction: MessageDirection }>> = {
  'gen_ai.system.message': { role: 'system', direction: 'input' },
  'gen_ai.user.message': { role: 'user', direction: 'input' },
  'gen_ai.assistant.message': { role: 'assistant', direction: 'input' },
  'gen_ai.tool.message': { role: 'tool', direction: 'input' },
  'gen_ai.choice': { role: 'assistant', direction: 'output' },
};

const INFERENCE_DETAILS_EVENT = 'gen_ai.client.inference.operation.details';
const eventsOf = (direction: MessageDirection) =>
  Object.entries(GENAI_MESSAGE_EVENTS)
    .filter(([, event]) => event.direction === direction)
    .map(([name]) => name);

/**
 * The attribute families, in precedence order: for each target, the first family whose source
 * gives a value wins (current names before older ones, attributes before derived values).
 */
export const ATTRIBUTE_FAMILIES: readonly AttributeFamily[] = [
  {
    id: 'gen_ai',
    title: 'OpenTelemetry GenAI semantic conventions (current)',
    stage: 'model_interaction',
    description:
      'The names the conventions themselves use (the contrib `@opentelemetry/instrumentation-openai`, OpenLLMetry since semconv 1.38), and the inference details event carrying the messages (as a span event or a log record).',
    renames: [
      same(A.ATTR_GEN_AI_OPERATION_NAME),
      same(A.ATTR_GEN_AI_PROVIDER_NAME),
      same(A.ATTR_GEN_AI_REQUEST_MODEL),
      same(A.ATTR_GEN_AI_REQUEST_TEMPERATURE),
      same(A.ATTR_GEN_AI_REQUEST_MAX_TOKENS),
      same(A.ATTR_GEN_AI_RESPONSE_MODEL),
      same(A.ATTR_GEN_AI_RESPONSE_ID),
      same(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS),
      same(A.ATTR_GEN_AI_USAGE_INPUT_TOKENS),
      same(A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS),
      same(A.ATTR_GEN_AI_INPUT_MESSAGES),
      same(A.ATTR_GEN_AI_OUTPUT_MESSAGES),
      {
        source: INFERENCE_DETAILS_EVENT,
        target: A.ATTR_GEN_AI_INPUT_MESSAGES,
        transform: { kind: 'event-attribute', attribute: A.ATTR_GEN_AI_INPUT_MESSAGES },
      },
      {
        source: INFERENCE_DETAILS_EVENT,
        target: A.ATTR_GEN_AI_OUTPUT_MESSAGES,
        transform: { kind: 'event-attribute', attribute: A.ATTR_GEN_AI_OUTPUT_MESSAGES },
      },
      {
        source: 'gen_ai.system_instructions',
        target: A.ATTR_GEN_AI_INPUT_MESSAGES,
        transform: { kind: 'system-instructions', event: INFERENCE_DETAILS_EVENT },
      },
    ],
  },
  {
    id: 'gen_ai_previous',
    title: 'GenAI names of the previous generation (OpenLLMetry 0.22 and earlier, semconv up to 1.36)',
    stage: 'model_interaction',
    description:
      'Renamed since: `gen_ai.system`, `gen_ai.usage.prompt_tokens`/`completion_tokens`, the flattened `gen_ai.prompt.<n>.*`/`gen_ai.completion.<n>.*` and `llm.request.type`; and the per-message GenAI events (span events or log records; the body in `aitdr.log.body`).',
    renames: [
      {
        source: 'llm.request.type',
        target: A.ATTR_GEN_AI_OPERATION_NAME,
        transform: { kind: 'map', values: { chat: 'chat', completion: 'text_completion' } },
      },
      rename('gen_ai.system', A.ATTR_GEN_AI_PROVIDER_NAME),
      rename('gen_ai.usage.prompt_tokens', A.ATTR_GEN_AI_USAGE_INPUT_TOKENS),
      rename('gen_ai.usage.completion_tokens', A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS),
      {
        source: 'gen_ai.prompt',
        target: A.ATTR_GEN_AI_INPUT_MESSAGES,
        transform: { kind: 'indexed-messages', direction: 'input', role: 'role', content: 'content' },
      },
      {
        source: 'gen_ai.completion',
        target: A.ATTR_GEN_AI_OUTPUT_MESSAGES,
        transform: {
          kind: 'indexed-messages',
          direction: 'output',
          role: 'role',
          content: 'content',
          finishReason: 'finish_reason',
        },
      },
      {
        source: eventsOf('input').join(', '),
        target: A.ATTR_GEN_AI_INPUT_MESSAGES,
        transform: { kind: 'event-messages', direction: 'input', events: eventsOf('input') },
      },
      {
        source: eventsOf('output').join(', '),
        target: A.ATTR_GEN_AI_OUTPUT_MESSAGES,
        transform: { kind: 'event-messages', direction: 'output', events: eventsOf('output') },
      },
    ],
  },
  {
    id: 'openinference',
    title: 'OpenInference (Arize)',
    stage: 'model_interaction',
    description:
      'Spans with `openinference.span.kind = LLM`: model, token counts, flattened messages, the invocation parameters as JSON, and the raw request and response bodies as a last resort.',
    renames: [
      rename('llm.provider', A.ATTR_GEN_AI_PROVIDER_NAME),
      rename('llm.system', A.ATTR_GEN_AI_PROVIDER_NAME),
      {
        source: 'llm.invocation_parameters',
        target: A.ATTR_GEN_AI_REQUEST_MODEL,
        transform: { kind: 'json-field', fields: ['model'] },
      },
      rename('llm.model_name', A.ATTR_GEN_AI_REQUEST_MODEL),
      rename('llm.model_name', A.ATTR_GEN_AI_RESPONSE_MODEL),
      {
        source: 'llm.invocation_parameters',
        target: A.ATTR_GEN_AI_REQUEST_TEMPERATURE,
        transform: { kind: 'json-field', fields: ['temperature'] },
      },
      {
        source: 'llm.invocation_parameters',
        target: A.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
        transform: { kind: 'json-field', fields: ['max_tokens', 'max_completion_tokens'] },
      },
      {
        source: 'llm.finish_reason',
        target: A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
        transform: { kind: 'one-item-list' },
      },
      rename('llm.token_count.prompt', A.ATTR_GEN_AI_USAGE_INPUT_TOKENS),
      rename('llm.token_count.completion', A.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS),
      {
        source: 'llm.input_messages',
        target: A.ATTR_GEN_AI_INPUT_MESSAGES,
        transform: {
          kind: 'indexed-messages',
          direction: 'input',
          role: 'message.role',
          content: 'message.content',
        },
      },
      {
        source: 'llm.output_messages',
        target: A.ATTR_GEN_AI_OUTPUT_MESSAGES,
        transform: {
          kind: 'indexed-messages',
          direction: 'output',
          role: 'message.role',
          content: 'message.content',
        },
      },
      {
        source: 'input.value',
        target: A.ATTR_GEN_AI_INPUT_MESSAGES,
        transform: { kind: 'body-messages', direction: 'input' },
      },
      {
        source: 'output.value',
        target: A.ATTR_GEN_AI_OUTPUT_MESSAGES,
        transform: { kind: 'body-messages', direction: 'output' },
      },
      {
        source: 'output.value',
        target: A.ATTR_GEN_AI_RESPONSE_ID,
        transform: { kind: 'json-field', fields: ['id'] },
      },
    ],
  },
  {
    id: 'derived',
    title: 'Derived from the messages',
    stage: 'model_interaction',
    description: 'Values no attribute gave, read from the output messages found above.',
    renames: [
      {
        source: A.ATTR_GEN_AI_OUTPUT_MESSAGES,
        target: A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
        transform: { kind: 'output-finish-reasons' },
      },
    ],
  },
  {
    id: 'db',
    title: 'OpenTelemetry database semantic conventions (current)',
    stage: 'execution',
    description:
      'The stable database names, as instrumentations emitting the current database conventions write them.',
    renames: [
      same(A.ATTR_DB_SYSTEM_NAME),
      same(A.ATTR_DB_QUERY_TEXT),
      same(A.ATTR_DB_NAMESPACE),
      same(A.ATTR_DB_OPERATION_NAME),
      same(A.ATTR_DB_RESPONSE_RETURNED_ROWS),
      same(A.ATTR_DB_RESPONSE_STATUS_CODE),
    ],
  },
  {
    id: 'db_previous',
    title: 'Database names of the previous generation',
    stage: 'execution',
    description:
      'The names before the database conventions were stabilised (what `@opentelemetry/instrumentation-pg` 0.71, for one, writes).',
    renames: [
      rename('db.system', A.ATTR_DB_SYSTEM_NAME),
      rename('db.statement', A.ATTR_DB_QUERY_TEXT),
      rename('db.name', A.ATTR_DB_NAMESPACE),
      rename('db.operation', A.ATTR_DB_OPERATION_NAME),
    ],
  },
];

/** `gen_ai.evaluation.result` events about a query become feedback rows with these attributes. */
export const EVALUATION_FEEDBACK = {
  event: 'gen_ai.evaluation.result',
  description:
    'Each `gen_ai.evaluation.result` event (span event or log record) on a span of a query trace is a feedback row about that query. The score (`gen_ai.evaluation.score.value`) has no known scale, so it is no rating: it stays in ATTRIBUTES with the evaluation name.',
  renames: [
    {
      source: 'gen_ai.evaluation.score.label',
      target: A.ATTR_FEEDBACK_IS_CORRECT,
      transform: {
        kind: 'map',
        values: { pass: true, correct: true, fail: false, incorrect: false },
      },
    },
    rename('gen_ai.evaluation.explanation', A.ATTR_FEEDBACK_COMMENT),
  ] satisfies readonly AttributeRename[],
} as const;
