/**
 * Turns decoded OTLP spans (from protobuf or JSON alike) into the `ReadableSpan` objects the
 * table exporter maps, validating what the OTLP specification requires of each span. An invalid
 * span is rejected on its own; the spans beside it are kept.
 */
import { TraceFlags } from '@opentelemetry/api';
import type {
  Attributes,
  AttributeValue,
  HrTime,
  Link,
  SpanContext,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { InstrumentationScope } from '@opentelemetry/core';

/** Deepest nesting of array/kvlist attribute values accepted; deeper values reject their span. */
export const MAX_VALUE_DEPTH = 16;

const NANOS_PER_SECOND = 1_000_000_000n;

/** A value outside what the receiver accepts; rejects the span that carries it. */
export class InvalidSpanError extends Error {}

/** Fields of one span after decoding, before validation. IDs are lower-case hex. */
export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: { timeUnixNano: bigint; name: string; attributes: Attributes; droppedAttributesCount: number }[];
  droppedEventsCount: number;
  links: DecodedLink[];
  droppedLinksCount: number;
  statusCode: number;
  statusMessage: string;
}

export interface DecodedLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

export function isValidTraceId(hex: string): boolean {
  return hex.length === 32 && hex !== ZERO_TRACE_ID;
}

export function isValidSpanId(hex: string): boolean {
  return hex.length === 16 && hex !== ZERO_SPAN_ID;
}

export function hrTimeFromNanos(nanos: bigint): HrTime {
  return [Number(nanos / NANOS_PER_SECOND), Number(nanos % NANOS_PER_SECOND)];
}

function traceStateOf(value: string): TraceState | undefined {
  return value === '' ? undefined : new TraceState(value);
}

// Span kind and status code arrive as OTLP enums: OTLP kinds are the API's plus one, and
// UNSPECIFIED (0) means INTERNAL. Unknown values fall back to the defaults rather than reject.
function spanKindOf(otlpKind: number): SpanKind {
  return otlpKind >= 1 && otlpKind <= 5 ? otlpKind - 1 : 0;
}

function statusCodeOf(otlpCode: number): SpanStatusCode {
  return otlpCode === 1 || otlpCode === 2 ? otlpCode : 0;
}

function linkOf(link: DecodedLink): Link | undefined {
  if (!isValidTraceId(link.traceId) || !isValidSpanId(link.spanId)) return undefined;
  const context: SpanContext = {
    traceId: link.traceId,
    spanId: link.spanId,
    traceFlags: link.flags & 0xff,
    isRemote: true,
  };
  const traceState = traceStateOf(link.traceState);
  if (traceState) context.traceState = traceState;
  return { context, attributes: link.attributes, droppedAttributesCount: link.droppedAttributesCount };
}

/**
 * Validates a decoded span and builds its ReadableSpan. Throws InvalidSpanError naming the
 * problem when the span cannot be stored: trace or span ID of the wrong length or all zeroes,
 * a parent span ID of the wrong length. A link with invalid IDs is dropped and counted in
 * `droppedLinksCount`, as the field intends, rather than losing the span.
 */
export function buildReadableSpan(
  span: DecodedSpan,
  resource: Resource,
  instrumentationScope: InstrumentationScope,
): ReadableSpan {
  if (!isValidTraceId(span.traceId)) {
    throw new InvalidSpanError(`traceId must be 16 non-zero bytes (got ${span.traceId.length / 2} bytes)`);
  }
  if (!isValidSpanId(span.spanId)) {
    throw new InvalidSpanError(`spanId must be 8 non-zero bytes (got ${span.spanId.length / 2} bytes)`);
  }
  if (span.parentSpanId !== '' && span.parentSpanId.length !== 16) {
    throw new InvalidSpanError(
      `parentSpanId must be empty or 8 bytes (got ${span.parentSpanId.length / 2} bytes)`,
    );
  }
  const traceFlags = span.flags & 0xff || TraceFlags.SAMPLED;
  const spanContext: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags };
  const traceState = traceStateOf(span.traceState);
  if (traceState) spanContext.traceState = traceState;
  // An all-zero parent is treated as none: some senders write zeroes instead of leaving it empty.
  const parentSpanContext: SpanContext | undefined =
    span.parentSpanId === '' || span.parentSpanId === ZERO_SPAN_ID
      ? undefined
      : { traceId: span.traceId, spanId: span.parentSpanId, traceFlags, isRemote: true };

  const links: Link[] = [];
  let droppedLinksCount = span.droppedLinksCount;
  for (const decoded of span.links) {
    const link = linkOf(decoded);
    if (link) links.push(link);
    else droppedLinksCount += 1;
  }
  const events: TimedEvent[] = span.events.map((event) => ({
    time: hrTimeFromNanos(event.timeUnixNano),
    name: event.name,
    attributes: event.attributes,
    droppedAttributesCount: event.droppedAttributesCount,
  }));
  const durationNanos =
    span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n;
  const status = {
    code: statusCodeOf(span.statusCode),
    ...(span.statusMessage ? { message: span.statusMessage } : {}),
  };

  return {
    name: span.name,
    kind: spanKindOf(span.kind),
    spanContext: () => spanContext,
    parentSpanContext,
    startTime: hrTimeFromNanos(span.startTimeUnixNano),
    endTime: hrTimeFromNanos(span.endTimeUnixNano),
    duration: hrTimeFromNanos(durationNanos),
    status,
    attributes: span.attributes,
    links,
    events,
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount,
  };
}

/** The instrumentation scope of a ScopeSpans, leaving out what was not sent. */
export function scopeOf(name: string, version: string, schemaUrl: string): InstrumentationScope {
  return { name, ...(version ? { version } : {}), ...(schemaUrl ? { schemaUrl } : {}) };
}

/** A primitive decoded from an OTLP AnyValue, or a structure to be kept as JSON text. */
export type DecodedValue =
  string | number | boolean | null | DecodedValue[] | { [key: string]: DecodedValue };

function isPrimitive(value: DecodedValue): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * OpenTelemetry JS attributes hold primitives and homogeneous primitive arrays; OTLP can carry
 * more (maps, mixed arrays, bytes). Those are kept as JSON text, so nothing sent is lost.
 */
export function toAttributeValue(value: DecodedValue): AttributeValue | undefined {
  if (value === null) return undefined;
  if (isPrimitive(value)) return value;
  if (Array.isArray(value) && value.every(isPrimitive)) {
    const kinds = new Set(value.map((item) => typeof item));
    if (kinds.size <= 1) return value as AttributeValue;
  }
  return JSON.stringify(value, nameNonFinite);
}

/** NaN and ±Infinity inside maps and mixed arrays keep their names, as top-level doubles do. */
function nameNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** Puts one decoded key/value into an attribute map (later duplicates win, as in the SDK). */
export function setAttribute(attributes: Attributes, key: string, value: DecodedValue): void {
  const attribute = toAttributeValue(value);
  if (attribute !== undefined) attributes[key] = attribute;
}

/** 64-bit integers: exact numbers when safe, else decimal strings (OTel JS numbers are doubles). */
export function int64Value(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
