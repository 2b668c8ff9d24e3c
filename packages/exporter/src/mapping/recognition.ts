/**
 * Interprets the conventions' recognition rules (`RECOGNIZED_CALLS`, `ATTRIBUTE_FAMILIES`,
 * `EVALUATION_FEEDBACK`): which library spans are calls of a stage, and the conventions'
 * attributes read from each. Pure.
 */
import { SpanKind } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { ATTRIBUTE_FAMILIES, RECOGNIZED_CALLS } from '@aitdr/conventions';
import type { AttributeRename, RecognizedStage } from '@aitdr/conventions';
import { bodyMessages, eventMessages, finishReasonsOf, indexedMessages } from './genai-messages.js';
import type { SpanRecord, SpanEventRecord } from './span-record.js';

/** The stage a span of no stage is a call of, if any. */
export function recognizedStage(span: SpanRecord): RecognizedStage | undefined {
  const { attributes } = span;
  for (const call of RECOGNIZED_CALLS) {
    if (call.spanKind !== undefined && SpanKind[span.kind] !== call.spanKind) continue;
    const holds = call.requires.every((group) =>
      group.some(({ key, values }) => {
        const value = attributes[key];
        if (value === undefined || value === null) return false;
        return values === undefined || (typeof value === 'string' && values.includes(value));
      }),
    );
    if (holds) return call.stage;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What one rename gives, and the source attributes it read (taken out of ATTRIBUTES). */
interface Renamed {
  readonly value: AttributeValue;
  readonly keys: readonly string[];
}

export function applyRename(
  rename: AttributeRename,
  attributes: Attributes,
  events: readonly SpanEventRecord[],
  found: Attributes,
): Renamed | undefined {
  const { source, transform } = rename;
  const raw = attributes[source];
  switch (transform.kind) {
    case 'copy':
      return raw === undefined || raw === null ? undefined : { value: raw, keys: [source] };
    case 'map': {
      const value = typeof raw === 'string' ? transform.values[raw] : undefined;
      return value === undefined ? undefined : { value, keys: [source] };
    }
    case 'json-field': {
      // The object keeps what the other fields hold, so it stays in ATTRIBUTES.
      const object = typeof raw === 'string' ? parseJson(raw) : undefined;
      if (typeof object !== 'object' || object === null) return undefined;
      for (const field of transform.fields) {
        const value = (object as Record<string, unknown>)[field];
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
          return { value, keys: [] };
      }
      return undefined;
    }
    case 'indexed-messages': {
      const read = indexedMessages(attributes, source, transform);
      return read && { value: JSON.stringify(read.messages), keys: read.keys };
    }
    case 'body-messages': {
      const messages = raw === undefined || raw === null ? undefined : bodyMessages(raw, transform.direction);
      return messages && { value: JSON.stringify(messages), keys: [source] };
    }
    case 'event-messages': {
      const messages = eventMessages(events, transform.events, transform.direction);
      return messages && { value: JSON.stringify(messages), keys: [] };
    }
    case 'event-attribute': {
      const value = events.find((e) => e.name === source)?.attributes?.[transform.attribute];
      return typeof value === 'string' && parseJson(value) !== undefined ? { value, keys: [] } : undefined;
    }
    case 'one-item-list':
      return typeof raw === 'string' ? { value: [raw], keys: [source] } : undefined;
    case 'output-finish-reasons': {
      const reasons = finishReasonsOf(found[source]);
      return reasons && { value: reasons, keys: [] };
    }
    case 'system-instructions': {
      const messages = found[rename.target];
      const onEvent = events.find((e) => e.name === transform.event)?.attributes?.[source];
      const instructions = typeof raw === 'string' ? raw : onEvent;
      const parts = typeof instructions === 'string' ? parseJson(instructions) : undefined;
      const list = typeof messages === 'string' ? parseJson(messages) : undefined;
      if (!Array.isArray(parts) || !Array.isArray(list)) return undefined;
      return {
        value: JSON.stringify([{ role: 'system', parts }, ...(list as unknown[])]),
        keys: typeof raw === 'string' ? [source] : [],
      };
    }
  }
}

export interface RecognizedAttributes {
  /** The conventions' attributes found, plus every attribute no rename read. */
  readonly attributes: Attributes;
  /** Families that gave at least one value, in precedence order. */
  readonly families: readonly string[];
}

/**
 * The span's attributes as the conventions name them: for each target, the first family (in
 * precedence order) whose source gives a value wins; attributes read by a rename that won are
 * taken out, everything else is kept under its own name.
 */
export function recognizedAttributes(span: SpanRecord, stage: RecognizedStage): RecognizedAttributes {
  const found: Attributes = {};
  const read = new Set<string>();
  const families: string[] = [];
  for (const family of ATTRIBUTE_FAMILIES) {
    if (family.stage !== stage) continue;
    let gave = false;
    for (const rename of family.renames) {
      // System instructions add to the messages found; every other rename fills an empty target.
      const adds = rename.transform.kind === 'system-instructions';
      if ((found[rename.target] !== undefined) !== adds) continue;
      const result = applyRename(rename, span.attributes, span.events, found);
      if (result === undefined) continue;
      found[rename.target] = result.value;
      for (const key of result.keys) read.add(key);
      gave = true;
    }
    if (gave) families.push(family.id);
  }
  const attributes: Attributes = {};
  for (const key in span.attributes) if (!read.has(key)) attributes[key] = span.attributes[key];
  return { attributes: Object.assign(attributes, found), families };
}
