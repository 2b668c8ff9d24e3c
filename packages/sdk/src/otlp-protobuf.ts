/**
 * The OTLP/HTTP protobuf body (ExportTraceServiceRequest) of a list of spans: the same bytes as
 * the official exporter's serializer (`ProtobufTraceSerializer` of `@opentelemetry/otlp-transformer`
 * 0.2xx: the same fields in the same order, the same grouping by resource and scope), written
 * with Node's native UTF-8 and hex writes. The official writer copies each string one character
 * at a time in JavaScript, after a first pass that measures it the same way: for the request
 * path benchmark's spans (about 650 B of attributes each) that was ~27 µs of the exporting
 * thread's CPU per span, more than recording the span cost.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope, ReadableSpan, SpanResource, TimedEvent } from '@aitdr/conventions';

// Span flags of the OTLP specification.
const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
/** Strings shorter than this (so their length is one byte) are copied in JavaScript while ASCII. */
const SHORT_STRING = 64;

/**
 * A growing buffer of protobuf fields. A message's length is written before it: one byte is
 * reserved and the body moved (memmove) in the rare case it needs more, as the official writer does.
 */
class ProtobufBuffer {
  buffer: Buffer;
  pos = 0;

  constructor(initialSize: number) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** The official writer's varint: unsigned 32-bit values, else 64-bit two's complement. */
  varint(value: number): void {
    this.ensure(10);
    const buffer = this.buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buffer[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buffer[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    const abs = Math.abs(value);
    low = abs >>> 0;
    high = (abs / 0x100000000) >>> 0;
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      buffer[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buffer[this.pos++] = low & 0x7f;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buffer.writeUInt32LE(low >>> 0, this.pos);
    this.buffer.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A length-delimited string, UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes them). */
  string(value: string): void {
    // At most 3 bytes per UTF-16 unit, plus the length's varint.
    const length = value.length;
    this.ensure(length * 3 + 5);
    const buffer = this.buffer;
    if (length < SHORT_STRING) {
      // Keys and short values: a JavaScript copy costs less than a call into C++ while ASCII.
      let at = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buffer[at++] = code;
      }
      if (i === length) {
        buffer[this.pos] = length;
        this.pos = at;
        return;
      }
    }
    const start = this.startMessage();
    this.pos += buffer.write(value, this.pos, 'utf8');
    this.finishMessage(start);
  }

  /** A trace or span ID's bytes from its hex text. */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.varint(length);
    this.ensure(length);
    const written = this.buffer.write(hex, this.pos, length, 'hex');
    // Not hex (no SDK makes such IDs): the official writer's arithmetic, whatever the characters.
    if (written !== length) {
      for (let i = 0; i < length; i++) {
        this.buffer[this.pos + i] =
          (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
      }
    }
    this.pos += length;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.pos);
    this.pos += value.length;
  }

  /** Reserves one byte for the length of the message that follows; returns where it is. */
  startMessage(): number {
    this.ensure(1);
    return this.pos++;
  }

  finishMessage(start: number): void {
    const length = this.pos - start - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.ensure(size - 1);
      this.buffer.copyWithin(start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    let at = start;
    let v = length;
    while (v > 0x7f) {
      this.buffer[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[at] = v;
  }
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return code - 55;
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** An HrTime as nanoseconds since the epoch, fixed64, exact (as the official writer computes it). */
function writeHrTime(out: ProtobufBuffer, time: HrTime): void {
  const seconds = time[0];
  const nanos = time[1];
  const fromLow16 = (seconds & 0xffff) * 1e9;
  const fromHigh = ((seconds / 0x10000) >>> 0) * 1e9;
  const low = (fromLow16 >>> 0) + (((fromHigh & 0xffff) * 0x10000) >>> 0) + nanos;
  const high =
    Math.floor(fromLow16 / 0x100000000) + ((fromHigh / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  out.fixed64(low >>> 0, high >>> 0);
}

function writeAttributes(out: ProtobufBuffer, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    out.tag(field, LENGTH_DELIMITED);
    writeKeyValue(out, key, attributes[key]);
  }
}

function writeKeyValue(out: ProtobufBuffer, key: string, value: unknown): void {
  const keyValue = out.startMessage();
  out.tag(1, LENGTH_DELIMITED);
  out.string(key);
  out.tag(2, LENGTH_DELIMITED);
  const anyValue = out.startMessage();
  writeAnyValue(out, value);
  out.finishMessage(anyValue);
  out.finishMessage(keyValue);
}

function writeAnyValue(out: ProtobufBuffer, value: unknown): void {
  if (typeof value === 'string') {
    out.tag(1, LENGTH_DELIMITED);
    out.string(value);
  } else if (typeof value === 'boolean') {
    out.tag(2, VARINT);
    out.varint(value ? 1 : 0);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
      out.tag(3, VARINT);
      out.varint(value);
    } else {
      out.tag(4, FIXED64);
      out.double(value);
    }
  } else if (value instanceof Uint8Array) {
    out.tag(7, LENGTH_DELIMITED);
    out.bytes(value);
  } else if (Array.isArray(value)) {
    out.tag(5, LENGTH_DELIMITED);
    const array = out.startMessage();
    for (const item of value as unknown[]) {
      out.tag(1, LENGTH_DELIMITED);
      const itemStart = out.startMessage();
      writeAnyValue(out, item);
      out.finishMessage(itemStart);
    }
    out.finishMessage(array);
  } else if (typeof value === 'object' && value !== null) {
    out.tag(6, LENGTH_DELIMITED);
    const list = out.startMessage();
    const entries = value as Record<string, unknown>;
    for (const key in entries) {
      if (!Object.prototype.hasOwnProperty.call(entries, key)) continue;
      out.tag(1, LENGTH_DELIMITED);
      writeKeyValue(out, key, entries[key]);
    }
    out.finishMessage(list);
  }
  // undefined, null, functions, symbols: an empty AnyValue, as the official writer leaves it.
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (
    (traceFlags & 0xff) |
    SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE |
    (isRemote === true ? SPAN_FLAGS_CONTEXT_IS_REMOTE : 0)
  );
}

function writeStatus(out: ProtobufBuffer, status: SpanStatus): void {
  const start = out.startMessage();
  if (status.message) {
    out.tag(2, LENGTH_DELIMITED);
    out.string(status.message);
  }
  out.tag(3, VARINT);
  out.varint(status.code);
  out.finishMessage(start);
}

function writeEvent(out: ProtobufBuffer, event: TimedEvent): void {
  const start = out.startMessage();
  out.tag(1, FIXED64);
  writeHrTime(out, event.time);
  out.tag(2, LENGTH_DELIMITED);
  out.string(event.name);
  if (event.attributes) writeAttributes(out, event.attributes, 3);
  out.tag(4, VARINT);
  out.varint(event.droppedAttributesCount || 0);
  out.finishMessage(start);
}

/** Fields 1-3 of a Span and of a Link alike: trace ID, span ID, trace state. */
function writeContext(out: ProtobufBuffer, context: SpanContext): void {
  out.tag(1, LENGTH_DELIMITED);
  out.hexBytes(context.traceId);
  out.tag(2, LENGTH_DELIMITED);
  out.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    out.tag(3, LENGTH_DELIMITED);
    out.string(traceState);
  }
}

function writeLink(out: ProtobufBuffer, link: Link): void {
  const start = out.startMessage();
  const context = link.context;
  writeContext(out, context);
  if (link.attributes) writeAttributes(out, link.attributes, 4);
  out.tag(5, VARINT);
  out.varint(link.droppedAttributesCount || 0);
  out.tag(6, FIXED32);
  out.fixed32(spanFlags(context.traceFlags, context.isRemote));
  out.finishMessage(start);
}

function writeSpan(out: ProtobufBuffer, span: ReadableSpan): void {
  const start = out.startMessage();
  const context = span.spanContext();
  writeContext(out, context);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    out.tag(4, LENGTH_DELIMITED);
    out.hexBytes(parent.spanId);
  }
  out.tag(5, LENGTH_DELIMITED);
  out.string(span.name);
  // OTLP's SpanKind counts from 1 (0 is unspecified); the API's from 0.
  const kind = (span.kind as number | null | undefined) == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    out.tag(6, VARINT);
    out.varint(kind);
  }
  out.tag(7, FIXED64);
  writeHrTime(out, span.startTime);
  out.tag(8, FIXED64);
  writeHrTime(out, span.endTime);
  if (span.attributes) writeAttributes(out, span.attributes, 9);
  out.tag(10, VARINT);
  out.varint(span.droppedAttributesCount);
  for (const event of span.events) {
    out.tag(11, LENGTH_DELIMITED);
    writeEvent(out, event);
  }
  out.tag(12, VARINT);
  out.varint(span.droppedEventsCount);
  for (const link of span.links) {
    out.tag(13, LENGTH_DELIMITED);
    writeLink(out, link);
  }
  out.tag(14, VARINT);
  out.varint(span.droppedLinksCount);
  out.tag(15, LENGTH_DELIMITED);
  writeStatus(out, span.status);
  out.tag(16, FIXED32);
  out.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
  out.finishMessage(start);
}

function writeScope(
  out: ProtobufBuffer,
  scope: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number },
): void {
  out.tag(1, LENGTH_DELIMITED);
  const start = out.startMessage();
  out.tag(1, LENGTH_DELIMITED);
  out.string(scope.name);
  if (scope.version) {
    out.tag(2, LENGTH_DELIMITED);
    out.string(scope.version);
  }
  if (scope.attributes) writeAttributes(out, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    out.tag(4, VARINT);
    out.varint(scope.droppedAttributesCount);
  }
  out.finishMessage(start);
}

function writeResource(out: ProtobufBuffer, resource: SpanResource): void {
  out.tag(1, LENGTH_DELIMITED);
  const start = out.startMessage();
  if (resource.attributes) writeAttributes(out, resource.attributes, 1);
  out.tag(2, VARINT);
  out.varint(0);
  out.finishMessage(start);
}

type ScopeGroups = Map<InstrumentationScope, ReadableSpan[]>;

/** Spans by resource, then by instrumentation scope (by identity), in order of first appearance. */
function groupSpans(spans: readonly ReadableSpan[]): Map<SpanResource, ScopeGroups> {
  const byResource = new Map<SpanResource, ScopeGroups>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (byScope === undefined) {
      byScope = new Map();
      byResource.set(span.resource, byScope);
    }
    const group = byScope.get(span.instrumentationScope);
    if (group === undefined) byScope.set(span.instrumentationScope, [span]);
    else group.push(span);
  }
  return byResource;
}

/**
 * Bytes per span of the last request, to size the next one's buffer by: a request is then mostly
 * written into one allocation, without the copies of growing (they were a third of the work).
 */
let lastBytesPerSpan = 1024;
/** The most allocated up front (one large span must not size a whole batch of small ones). */
const MAX_INITIAL_BYTES = 16 * 1024 * 1024;

/** The ExportTraceServiceRequest of `spans`, as protobuf bytes. */
export function encodeTraceExportRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const estimate = Math.ceil(spans.length * lastBytesPerSpan * 1.25);
  const out = new ProtobufBuffer(Math.min(MAX_INITIAL_BYTES, Math.max(4096, estimate)));
  for (const [resource, byScope] of groupSpans(spans)) {
    out.tag(1, LENGTH_DELIMITED);
    const resourceSpans = out.startMessage();
    writeResource(out, resource);
    for (const [scope, scopeSpans] of byScope) {
      out.tag(2, LENGTH_DELIMITED);
      const scopeStart = out.startMessage();
      writeScope(out, scope);
      for (const span of scopeSpans) {
        out.tag(2, LENGTH_DELIMITED);
        writeSpan(out, span);
      }
      if (scope.schemaUrl) {
        out.tag(3, LENGTH_DELIMITED);
        out.string(scope.schemaUrl);
      }
      out.finishMessage(scopeStart);
    }
    const schemaUrl = (resource as { schemaUrl?: string }).schemaUrl;
    if (schemaUrl) {
      out.tag(3, LENGTH_DELIMITED);
      out.string(schemaUrl);
    }
    out.finishMessage(resourceSpans);
  }
  if (spans.length > 0) lastBytesPerSpan = Math.ceil(out.pos / spans.length);
  return out.buffer.subarray(0, out.pos);
}

/** What the official exporter (0.2xx) serializes with: its delegate's, a private member. */
interface RequestSerializer {
  serializeRequest(request: unknown): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

/**
 * Has the official OTLP/HTTP protobuf exporter write its request bodies with
 * `encodeTraceExportRequest`; the transport (endpoint, headers, retries, compression, timeouts,
 * the OTEL_EXPORTER_OTLP_* variables) stays the exporter's own. Only when this version of the
 * exporter keeps its serializer where this expects it and writes exactly the same bytes as
 * `encodeTraceExportRequest` for a span using every field (checked once, here): any other version
 * keeps its own serializer. Returns whether the writer was swapped.
 */
export function useNativeProtobufWriter(exporter: object): boolean {
  const delegate = (exporter as { _delegate?: { _serializer?: Partial<RequestSerializer> } })._delegate;
  const official = delegate?._serializer;
  if (
    delegate === undefined ||
    official === undefined ||
    typeof official.serializeRequest !== 'function' ||
    typeof official.deserializeResponse !== 'function'
  ) {
    return false;
  }
  const sample = [checkSpan(), checkSpan()];
  let expected: Uint8Array | undefined;
  try {
    expected = official.serializeRequest(sample);
  } catch {
    return false;
  }
  if (expected === undefined || !Buffer.from(encodeTraceExportRequest(sample)).equals(Buffer.from(expected)))
    return false;
  const deserializeResponse = official.deserializeResponse.bind(official);
  const native: RequestSerializer = {
    serializeRequest: (spans) => encodeTraceExportRequest(spans as ReadableSpan[]),
    deserializeResponse,
  };
  delegate._serializer = native;
  return true;
}

const CHECK_RESOURCE: SpanResource = {
  attributes: { 'service.name': 'aitdr-check', 'host.arch': 'x64', 'process.pid': 4242 },
};
const CHECK_SCOPE: InstrumentationScope = {
  name: '@aitdr/sdk',
  version: '0.1.0',
  schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
};

/** A span using every field the encoder writes, and every attribute value type. */
function checkSpan(): ReadableSpan {
  const time: HrTime = [1_765_000_000, 123_456_789];
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  return {
    name: 'aitdr.check ✓',
    kind: 2,
    spanContext: () => ({ traceId, spanId: 'b7ad6b7169203331', traceFlags: 1 }),
    parentSpanContext: { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
    startTime: time,
    endTime: [1_765_000_001, 999_999_999],
    status: { code: 2, message: 'timed out' },
    attributes: {
      'aitdr.text': `${'long text '.repeat(40)}é`,
      'aitdr.short': 'ok',
      'aitdr.unicode': 'Grüße 𝄞 \ud800',
      'aitdr.count': 300_000,
      'aitdr.negative': -7,
      'aitdr.large': 2 ** 40,
      'aitdr.ratio': 0.25,
      'aitdr.flag': true,
      'aitdr.list': ['a', 'b'],
      'aitdr.numbers': [1, 2.5],
    },
    links: [
      {
        context: { traceId, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
        attributes: { 'aitdr.link': 'feedback' },
      },
    ],
    events: [
      { time, name: 'exception', attributes: { 'exception.message': 'timeout' }, droppedAttributesCount: 0 },
    ],
    duration: [1, 876_543_210],
    ended: true,
    resource: CHECK_RESOURCE,
    instrumentationScope: CHECK_SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
