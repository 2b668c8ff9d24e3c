/**
 * Message content in the shapes instrumentation libraries record it, turned into the GenAI
 * messages JSON the conventions define for PROMPT and RESPONSE_TEXT:
 * `[{"role":"user","parts":[{"type":"text","content":"…"}]}]` (output messages add `finish_reason`).
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { ATTR_LOG_BODY, GENAI_MESSAGE_EVENTS } from '@aitdr/conventions';
import type { MessageDirection } from '@aitdr/conventions';
import type { SpanEventRecord } from './span-record.js';

type Part = Readonly<Record<string, unknown>>;

export interface GenAiMessage {
  readonly role: string;
  readonly parts: readonly Part[];
  readonly finish_reason?: string;
}

const defaultRole = (direction: MessageDirection) => (direction === 'input' ? 'user' : 'assistant');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const textPart = (content: string): Part => ({ type: 'text', content });

/** Content as parts: text as one text part; OpenAI content arrays part by part. */
function partsOf(content: unknown): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [textPart(content)];
  if (Array.isArray(content)) {
    return content.flatMap((item): Part[] => {
      if (typeof item === 'string') return [textPart(item)];
      if (!isObject(item)) return [];
      if (item.type === 'text' && typeof item.text === 'string') return [textPart(item.text)];
      return [item];
    });
  }
  return [];
}

/** OpenAI-style tool calls (`{id, function: {name, arguments}}`) as GenAI tool call parts. */
function toolCallParts(calls: unknown): Part[] {
  if (!Array.isArray(calls)) return [];
  return calls.filter(isObject).map((call) => {
    const fn = isObject(call.function) ? call.function : call;
    return { type: 'tool_call', id: call.id, name: fn.name, arguments: fn.arguments };
  });
}

function message(role: unknown, parts: Part[], finishReason?: unknown): GenAiMessage {
  return {
    role: typeof role === 'string' && role !== '' ? role : 'user',
    parts,
    ...(typeof finishReason === 'string' ? { finish_reason: finishReason } : {}),
  };
}

const INDEX = /^(\d+)\.(.+)$/;

/**
 * Messages flattened into `<prefix>.<n>.<field>` attributes (`gen_ai.prompt.0.content`,
 * `llm.input_messages.0.message.role`), in index order; also the keys they were read from.
 */
export function indexedMessages(
  attributes: Attributes,
  prefix: string,
  fields: { direction: MessageDirection; role: string; content: string; finishReason?: string | undefined },
): { messages: GenAiMessage[]; keys: string[] } | undefined {
  const byIndex = new Map<number, Map<string, AttributeValue>>();
  const keys: string[] = [];
  const start = `${prefix}.`;
  for (const key in attributes) {
    if (!key.startsWith(start)) continue;
    const match = INDEX.exec(key.slice(start.length));
    const value = attributes[key];
    if (match === null || value === undefined || value === null) continue;
    keys.push(key);
    const index = Number(match[1]);
    let fieldsOfIndex = byIndex.get(index);
    if (fieldsOfIndex === undefined) byIndex.set(index, (fieldsOfIndex = new Map<string, AttributeValue>()));
    fieldsOfIndex.set(match[2] as string, value);
  }
  if (byIndex.size === 0) return undefined;
  const messages = [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, f]) => {
      const content = f.get(fields.content);
      // A JSON array of content parts (multimodal prompts) is read as parts, other text as text.
      const parsed = typeof content === 'string' && content.startsWith('[') ? parseJson(content) : undefined;
      return message(
        f.get(fields.role) ?? defaultRole(fields.direction),
        partsOf(Array.isArray(parsed) ? parsed : content),
        fields.finishReason === undefined ? undefined : f.get(fields.finishReason),
      );
    });
  return { messages, keys };
}

/** A chat message object (`{role, content, tool_calls}`) as a GenAI message. */
function fromChatMessage(raw: unknown, direction: MessageDirection, finishReason?: unknown): GenAiMessage {
  const m = isObject(raw) ? raw : {};
  return message(
    m.role ?? defaultRole(direction),
    [...partsOf(m.content), ...toolCallParts(m.tool_calls)],
    finishReason,
  );
}

/**
 * A raw request or response body (OpenInference `input.value`/`output.value`): an OpenAI chat
 * request (`messages`) or response (`choices`), or plain text as one message. Other JSON gives
 * nothing: its shape is unknown.
 */
export function bodyMessages(value: AttributeValue, direction: MessageDirection): GenAiMessage[] | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const body = parseJson(value);
  if (body === undefined || typeof body === 'string') {
    return [message(defaultRole(direction), [textPart(typeof body === 'string' ? body : value)])];
  }
  if (!isObject(body)) return undefined;
  if (direction === 'input' && Array.isArray(body.messages))
    return body.messages.map((m) => fromChatMessage(m, 'input'));
  if (direction === 'input' && typeof body.prompt === 'string')
    return [message('user', [textPart(body.prompt)])];
  if (direction === 'output' && Array.isArray(body.choices)) {
    return body.choices
      .filter(isObject)
      .map((choice) =>
        isObject(choice.message)
          ? fromChatMessage(choice.message, 'output', choice.finish_reason)
          : message('assistant', partsOf(choice.text), choice.finish_reason),
      );
  }
  return undefined;
}

/** An event's body: the log body (JSON text or a string) when it came from a log record, else its attributes. */
function eventBody(event: SpanEventRecord): unknown {
  const body = event.attributes?.[ATTR_LOG_BODY];
  if (typeof body === 'string') {
    const parsed = parseJson(body);
    return parsed === undefined
      ? { content: body }
      : typeof parsed === 'string'
        ? { content: parsed }
        : parsed;
  }
  return event.attributes ?? {};
}

/**
 * The per-message GenAI events (`gen_ai.user.message`, `gen_ai.choice`, …) among `events`, in
 * their order, as GenAI messages.
 */
export function eventMessages(
  events: readonly SpanEventRecord[],
  names: readonly string[],
  direction: MessageDirection,
): GenAiMessage[] | undefined {
  // Log records attached as events may have come in any order; equal times keep theirs.
  const messages = events
    .filter((event) => names.includes(event.name))
    .sort((a, b) => a.time[0] - b.time[0] || a.time[1] - b.time[1])
    .map((event) => {
      const body = eventBody(event);
      const b = isObject(body) ? body : {};
      const role = GENAI_MESSAGE_EVENTS[event.name]?.role;
      if (direction === 'output') {
        return fromChatMessage(
          isObject(b.message) ? { role, ...b.message } : { role, content: b.content },
          'output',
          b.finish_reason,
        );
      }
      return fromChatMessage({ role, ...b }, 'input');
    });
  return messages.length > 0 ? messages : undefined;
}

/** The finish reasons of output messages held as GenAI messages JSON. */
export function finishReasonsOf(outputMessages: AttributeValue | undefined): string[] | undefined {
  const messages = typeof outputMessages === 'string' ? parseJson(outputMessages) : undefined;
  if (!Array.isArray(messages)) return undefined;
  const reasons = messages.flatMap((m) =>
    isObject(m) && typeof m.finish_reason === 'string' ? [m.finish_reason] : [],
  );
  return reasons.length > 0 ? reasons : undefined;
}

/**
 * The text of output messages (GenAI messages JSON, or any other text as it is): the text parts
 * of the assistant's messages, one after the other.
 */
export function responseTextOf(responseText: string): string {
  const messages = parseJson(responseText);
  if (!Array.isArray(messages)) return typeof messages === 'string' ? messages : responseText;
  return messages
    .filter(isObject)
    .flatMap((m): unknown[] => (Array.isArray(m.parts) ? (m.parts as unknown[]) : []))
    .flatMap((p) => (isObject(p) && p.type === 'text' && typeof p.content === 'string' ? [p.content] : []))
    .join('\n');
}
