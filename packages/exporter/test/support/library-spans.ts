/**
 * Spans shaped as instrumentation libraries emit them (names, kinds and attribute sets taken from
 * their sources and docs), recorded through the real SDK by `TraceRecorder`. The model answers
 * with SQL in a fenced block; the database call runs it.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { ATTR_LOG_BODY } from '@aitdr/conventions';
import { at } from './traces.js';
import type { TraceRecorder } from './traces.js';

export const QUESTION = 'total scrap by line';
export const ANSWER_SQL = 'SELECT LINE_ID, SUM(QTY) FROM SCRAP GROUP BY LINE_ID';
export const ANSWER_TEXT = `Here is the query:\n\`\`\`sql\n${ANSWER_SQL};\n\`\`\``;
export const SYSTEM_PROMPT = 'You write SQLite SQL for the schema below.';

interface Placement {
  readonly parent?: Span;
  readonly startMs: number;
  readonly durationMs?: number;
}

function ended(span: Span, { startMs, durationMs = 5 }: Placement): Span {
  span.setStatus({ code: SpanStatusCode.OK });
  span.end(at(startMs + durationMs));
  return span;
}

const parentOf = (p: Placement) => (p.parent ? { parent: p.parent } : {});

/**
 * `@opentelemetry/instrumentation-openai` (contrib): current GenAI span attributes, the content in
 * log records (`gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.choice`) attached to the
 * span as events, their bodies in `aitdr.log.body`.
 */
export function contribOpenAiSpan(recorder: TraceRecorder, p: Placement): Span {
  const span = recorder.start('chat gpt-4o-mini', {
    ...parentOf(p),
    kind: SpanKind.CLIENT,
    startTime: at(p.startMs),
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0,
      'gen_ai.request.max_tokens': 256,
      'server.address': '127.0.0.1',
      'server.port': 4010,
      'gen_ai.response.id': 'chatcmpl-contrib-1',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 42,
      'gen_ai.usage.output_tokens': 17,
    },
  });
  const log = (name: string, body: unknown, ms: number) =>
    span.addEvent(name, { 'gen_ai.system': 'openai', [ATTR_LOG_BODY]: JSON.stringify(body) }, at(ms));
  log('gen_ai.system.message', { content: SYSTEM_PROMPT }, p.startMs);
  log('gen_ai.user.message', { content: QUESTION }, p.startMs);
  log('gen_ai.choice', { finish_reason: 'stop', index: 0, message: { content: ANSWER_TEXT } }, p.startMs + 4);
  return ended(span, p);
}

/** `@traceloop/instrumentation-openai` 0.22: the previous generation's names, content flattened on the span. */
export function traceloop022Span(recorder: TraceRecorder, p: Placement): Span {
  const span = recorder.start('openai.chat', {
    ...parentOf(p),
    kind: SpanKind.CLIENT,
    startTime: at(p.startMs),
    attributes: {
      'gen_ai.system': 'OpenAI',
      'llm.request.type': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': SYSTEM_PROMPT,
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': QUESTION,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.prompt_tokens': 40,
      'gen_ai.usage.completion_tokens': 12,
      'llm.usage.total_tokens': 52,
      'gen_ai.completion.0.finish_reason': 'stop',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': ANSWER_SQL,
    },
  });
  return ended(span, p);
}

/** `@arizeai/openinference-instrumentation-openai`: an LLM span with its own names and the raw bodies. */
export function openInferenceSpan(recorder: TraceRecorder, p: Placement & { answer?: string }): Span {
  const answer = p.answer ?? ANSWER_TEXT;
  const request = {
    model: 'gpt-4o-mini',
    temperature: 0.1,
    max_tokens: 300,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: QUESTION },
    ],
  };
  const response = {
    id: 'chatcmpl-oi-1',
    object: 'chat.completion',
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 44, completion_tokens: 19, total_tokens: 63 },
  };
  const span = recorder.start('OpenAI Chat Completions', {
    ...parentOf(p),
    startTime: at(p.startMs),
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.system': 'openai',
      'llm.provider': 'openai',
      'input.value': JSON.stringify(request),
      'input.mime_type': 'application/json',
      'llm.invocation_parameters': JSON.stringify({
        model: 'gpt-4o-mini',
        temperature: 0.1,
        max_tokens: 300,
      }),
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': SYSTEM_PROMPT,
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.content': QUESTION,
      'llm.model_name': 'gpt-4o-mini-2024-07-18',
      'output.value': JSON.stringify(response),
      'output.mime_type': 'application/json',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': answer,
      'llm.token_count.prompt': 44,
      'llm.token_count.completion': 19,
      'llm.token_count.total': 63,
    },
  });
  return ended(span, p);
}

/** `@opentelemetry/instrumentation-pg` with the stable database names. */
export function pgCurrentSpan(recorder: TraceRecorder, p: Placement & { sql?: string }): Span {
  const span = recorder.start('SELECT test', {
    ...parentOf(p),
    kind: SpanKind.CLIENT,
    startTime: at(p.startMs),
    attributes: {
      'db.system.name': 'postgresql',
      'db.namespace': 'test',
      'db.query.text': p.sql ?? ANSWER_SQL,
      'db.operation.name': 'SELECT',
      'server.address': '127.0.0.1',
      'server.port': 5432,
    },
  });
  return ended(span, p);
}

/** `@opentelemetry/instrumentation-pg` 0.71: the previous names (`db.statement`, `db.system`, `db.name`). */
export function pg071Span(recorder: TraceRecorder, p: Placement & { sql?: string }): Span {
  const span = recorder.start('pg.query:SELECT test', {
    ...parentOf(p),
    kind: SpanKind.CLIENT,
    startTime: at(p.startMs),
    attributes: {
      'db.system': 'postgresql',
      'db.name': 'test',
      'db.statement': p.sql ?? ANSWER_SQL,
      'db.user': 'postgres',
      'db.connection_string': 'postgresql://127.0.0.1:5432/test',
      'net.peer.name': '127.0.0.1',
      'net.peer.port': 5432,
    },
  });
  return ended(span, p);
}

/** `pg.connect`: a database CLIENT span with no query text, so no execution. */
export function pgConnectSpan(recorder: TraceRecorder, p: Placement): Span {
  const span = recorder.start('pg.connect', {
    ...parentOf(p),
    kind: SpanKind.CLIENT,
    startTime: at(p.startMs),
    attributes: { 'db.system': 'postgresql', 'db.name': 'test', 'net.peer.name': '127.0.0.1' },
  });
  return ended(span, p);
}
