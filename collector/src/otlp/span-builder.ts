/**
 * Turns decoded OTLP spans (from protobuf or JSON alike) into span records, the plain data the
 * table exporter maps, validating what the OTLP specification requires of each span. An invalid
 * span is rejected on its own; the spans beside it are kept. No SDK object is built: the record
 * is what is held and written.
 */
import type { Attributes, AttributeValue, HrTime, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { portableAttributes, wellFormed } from '@aitdr/conventions';
import type { SpanEventRecord, SpanLinkRecord, SpanRecord } from '@aitdr/conventions';

/** Deepest nesting of array/kvlist attribute values accepted; deeper values reject their span. */
export const MAX_VALUE_DEPTH = 16;

const NANOS_PER_SECOND = 1_000_000_000n;

/** A value outside what the receiver accepts; rejects the span that carries it. */
export class InvalidSpanError extends Error {}

/**
 * Fields of one span after decoding, before validation. IDs are lower-case hex. Trace state,
 * flags and dropped counts are read (and, in JSON, checked) but not kept: no column holds them.
 */
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

/** What the spans of one ScopeSpans share: their resource's attributes (portable) and their scope. */
export interface SpanOrigin {
  readonly resource: Attributes;
  readonly scope: SpanRecord['scope'];
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

// Span kind and status code arrive as OTLP enums: OTLP kinds are the API's plus one, and
// UNSPECIFIED (0) means INTERNAL. Unknown values fall back to the defaults rather than reject.
function spanKindOf(otlpKind: number): SpanKind {
  return otlpKind >= 1 && otlpKind <= 5 ? otlpKind - 1 : 0;
}

function statusCodeOf(otlpCode: number): SpanStatusCode {
  return otlpCode === 1 || otlpCode === 2 ? otlpCode : 0;
}

function hasAny(attributes: Attributes): boolean {
  for (const _key in attributes) return true;
  return false;
}

/**
 * Validates a decoded span and builds its record. Throws InvalidSpanError naming the problem
 * when the span cannot be stored: trace or span ID of the wrong length or all zeroes, a parent
 * span ID of the wrong length. A link with invalid IDs is dropped rather than losing the span.
 * Text and numbers follow the record's portable rules (the conventions' helpers).
 */
export function buildSpanRecord(span: DecodedSpan, origin: SpanOrigin): SpanRecord {
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
  // An all-zero parent is treated as none: some senders write zeroes instead of leaving it empty.
  const hasParent = span.parentSpanId !== '' && span.parentSpanId !== ZERO_SPAN_ID;

  const links: SpanLinkRecord[] = [];
  for (const link of span.links) {
    if (!isValidTraceId(link.traceId) || !isValidSpanId(link.spanId)) continue;
    links.push(
      hasAny(link.attributes)
        ? { traceId: link.traceId, spanId: link.spanId, attributes: portableAttributes(link.attributes) }
        : { traceId: link.traceId, spanId: link.spanId },
    );
  }
  const events: SpanEventRecord[] = span.events.map((event) =>
    hasAny(event.attributes)
      ? {
          name: wellFormed(event.name),
          time: hrTimeFromNanos(event.timeUnixNano),
          attributes: portableAttributes(event.attributes),
        }
      : { name: wellFormed(event.name), time: hrTimeFromNanos(event.timeUnixNano) },
  );
  const durationNanos =
    span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n;
  const code = statusCodeOf(span.statusCode);

  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(hasParent ? { parentSpanId: span.parentSpanId } : {}),
    name: wellFormed(span.name),
    kind: spanKindOf(span.kind),
    startTime: hrTimeFromNanos(span.startTimeUnixNano),
    endTime: hrTimeFromNanos(span.endTimeUnixNano),
    duration: hrTimeFromNanos(durationNanos),
    status: span.statusMessage ? { code, message: wellFormed(span.statusMessage) } : { code },
    attributes: portableAttributes(span.attributes),
    events,
    links,
    resource: origin.resource,
    scope: origin.scope,
  };
}

/** The instrumentation scope of a ScopeSpans, leaving out what was not sent. */
export function scopeOf(name: string, version: string): SpanRecord['scope'] {
  return version ? { name: wellFormed(name), version: wellFormed(version) } : { name: wellFormed(name) };
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
