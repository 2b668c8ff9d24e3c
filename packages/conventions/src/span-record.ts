/**
 * The span record: one span as plain data, from the wire (the collector) or the SDK to the row.
 * The portable-text and NaN rules every producer applies live here, once.
 */
import type { Attributes, HrTime, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from './otel-sdk.js';

/**
 * One span as plain data: what the mapper reads and what the spool, the parking lot and the
 * dead-letter store keep (it survives JSON unchanged). The `TraceWriter` contract takes it: the SDK
 * builds it from a `ReadableSpan` at its edge (`toSpanRecord`), the collector decodes OTLP straight
 * into it, so nothing downstream depends on SDK objects. Its text is well formed and its numbers
 * finite or named (the portable rules below): whoever builds one applies them.
 */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: { readonly code: SpanStatusCode; readonly message?: string };
  readonly attributes: Attributes;
  readonly events: readonly SpanEventRecord[];
  readonly links: readonly SpanLinkRecord[];
  /** Attributes of the resource that produced the span. */
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version?: string };
}

export interface SpanEventRecord {
  readonly name: string;
  readonly time: HrTime;
  readonly attributes?: Attributes;
}

export interface SpanLinkRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes?: Attributes;
}

/** An unpaired UTF-16 surrogate: a JavaScript string may hold one, Unicode text cannot. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text as Unicode: each unpaired surrogate (from a JSON `\ud800` escape or a JavaScript
 * string) becomes U+FFFD, so every store keeps the same text. Left as they were, SQLite stored
 * bytes that are not UTF-8 and PostgreSQL refused the trace's JSON columns.
 */
export function wellFormed(text: string): string {
  // The native check first: nearly all text is well formed, and the regex scan cost a tenth of the mapping.
  return isWellFormed(text) ? text : text.replace(UNPAIRED_SURROGATE, '\ufffd');
}

/** ES2024's `String.prototype.isWellFormed` (Node 20 has it; TypeScript's ES2023 lib does not). */
type WellFormedCheck = string & { isWellFormed(): boolean };

const isWellFormed = (text: string) => (text as WellFormedCheck).isWellFormed();

/**
 * NaN, Infinity and -Infinity doubles are kept as the strings "NaN", "Infinity" and "-Infinity"
 * (the protobuf JSON mapping's form, what OTLP JSON carries): JSON, and so every store's JSON
 * columns, spools and dead letters, has no other way to hold them (JSON.stringify wrote null).
 */
export function portableNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function isPortableItem(item: unknown): boolean {
  return typeof item === 'string' ? isWellFormed(item) : typeof item !== 'number' || Number.isFinite(item);
}

function isPortableValue(value: unknown): boolean {
  return Array.isArray(value) ? value.every(isPortableItem) : isPortableItem(value);
}

function portableItem(item: unknown): unknown {
  if (typeof item === 'string') return wellFormed(item);
  return typeof item === 'number' ? portableNumber(item) : item;
}

/**
 * The attributes themselves when all their text is well formed and their numbers finite (nearly
 * always: no copy), else a cleaned copy.
 */
export function portableAttributes(attributes: Attributes): Attributes {
  let clean = true;
  for (const key in attributes) {
    if (!isWellFormed(key) || !isPortableValue(attributes[key])) {
      clean = false;
      break;
    }
  }
  if (clean) return attributes;
  const result: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    // An array with a non-finite number becomes a mixed one: OpenTelemetry's types do not say so.
    result[wellFormed(key)] = (
      Array.isArray(value) ? value.map(portableItem) : portableItem(value)
    ) as typeof value;
  }
  return result;
}

/** Spans share their resource (a provider's, a request's): its attributes are made portable once, not per span. */
const portableResources = new WeakMap<Attributes, Attributes>();

export function portableResource(attributes: Attributes): Attributes {
  let result = portableResources.get(attributes);
  if (result === undefined) {
    result = portableAttributes(attributes);
    portableResources.set(attributes, result);
  }
  return result;
}

/** Spans of one tracer share their scope: its record is made once (the scope object is the tracer's). */
const scopeRecords = new WeakMap<object, SpanRecord['scope']>();

function scopeRecord(scope: ReadableSpan['instrumentationScope']): SpanRecord['scope'] {
  let record = scopeRecords.get(scope);
  if (record === undefined) {
    record = {
      name: wellFormed(scope.name),
      ...(scope.version ? { version: wellFormed(scope.version) } : {}),
    };
    scopeRecords.set(scope, record);
  }
  return record;
}

function hasAny(attributes: Attributes | undefined): attributes is Attributes {
  if (attributes === undefined) return false;
  for (const _ in attributes) return true;
  return false;
}

/**
 * A span as plain data. Runs for every span the SDK writes to a store, so it copies nothing it
 * can share (attributes and times are the span's own; the resource's and the scope's records are
 * made once) and builds no object through a spread.
 */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  const parentSpanId = span.parentSpanContext?.spanId;
  const { status } = span;
  const name = wellFormed(span.name);
  const recordStatus = status.message
    ? { code: status.code, message: wellFormed(status.message) }
    : { code: status.code };
  const attributes = portableAttributes(span.attributes);
  const events = span.events.length === 0 ? [] : span.events.map(toEventRecord);
  const links = span.links.length === 0 ? [] : span.links.map(toLinkRecord);
  const resource = portableResource(span.resource.attributes);
  const scope = scopeRecord(span.instrumentationScope);
  const { kind, startTime, endTime, duration } = span;
  // Two literals, so a root has no parent ID at all (records survive JSON as they are).
  return parentSpanId
    ? {
        traceId,
        spanId,
        parentSpanId,
        name,
        kind,
        startTime,
        endTime,
        duration,
        status: recordStatus,
        attributes,
        events,
        links,
        resource,
        scope,
      }
    : {
        traceId,
        spanId,
        name,
        kind,
        startTime,
        endTime,
        duration,
        status: recordStatus,
        attributes,
        events,
        links,
        resource,
        scope,
      };
}

function toEventRecord(event: ReadableSpan['events'][number]): SpanEventRecord {
  const name = wellFormed(event.name);
  return hasAny(event.attributes)
    ? { name, time: event.time, attributes: portableAttributes(event.attributes) }
    : { name, time: event.time };
}

function toLinkRecord(link: ReadableSpan['links'][number]): SpanLinkRecord {
  const { traceId, spanId } = link.context;
  return hasAny(link.attributes)
    ? { traceId, spanId, attributes: portableAttributes(link.attributes) }
    : { traceId, spanId };
}

/**
 * Resource attributes can still be resolving when a span ends (async resource detectors); wait
 * for them once per batch, as the SDK's own exporters do, before reading them.
 */
export async function settleResources(spans: readonly ReadableSpan[]): Promise<void> {
  const pending = new Set(spans.map((span) => span.resource).filter((r) => r.asyncAttributesPending));
  for (const resource of pending) await resource.waitForAsyncAttributes?.();
}
