import type { Attributes } from '@opentelemetry/api';
import { portableAttributes } from '@aitdr/conventions';
import type Long from 'long';
import { DecodeCollector, MalformedRequestError } from './decode-result.js';
import type { DecodedRequest } from './decode-result.js';
import {
  InvalidSpanError,
  MAX_VALUE_DEPTH,
  buildSpanRecord,
  int64Value,
  scopeOf,
  setAttribute,
} from './span-builder.js';
import type { DecodedSpan, DecodedValue } from './span-builder.js';
import { ExportTraceServiceRequestType } from './trace-proto.js';
import type { PbAnyValue, PbExportTraceServiceRequest, PbKeyValue, PbSpan } from './trace-proto.js';

/** protobufjs gives Buffers for bytes fields in Node, and a plain empty array for absent ones. */
function hex(bytes: Uint8Array | ArrayLike<number> | undefined): string {
  if (bytes === undefined) return '';
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as ArrayLike<number>)).toString('hex');
}

function toBigInt(value: Long | number | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  const unsigned = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return !value.unsigned && value.high < 0 ? unsigned - (1n << 64n) : unsigned;
}

function anyValue(value: PbAnyValue | undefined, depth: number): DecodedValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new InvalidSpanError(`attribute value nested deeper than ${MAX_VALUE_DEPTH}`);
  // protobufjs names the set member of a oneof in `value`.
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return int64Value(toBigInt(value.intValue ?? 0));
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'bytesValue':
      return Buffer.from(value.bytesValue ?? new Uint8Array()).toString('base64');
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map((item) => anyValue(item, depth + 1));
    case 'kvlistValue': {
      const object: Record<string, DecodedValue> = {};
      for (const entry of value.kvlistValue?.values ?? [])
        object[entry.key ?? ''] = anyValue(entry.value, depth + 1);
      return object;
    }
    default:
      return null;
  }
}

function attributesOf(keyValues: readonly PbKeyValue[] = []): Attributes {
  const attributes: Attributes = {};
  for (const { key, value } of keyValues) setAttribute(attributes, key ?? '', anyValue(value, 0));
  return attributes;
}

function decodeSpan(span: PbSpan): DecodedSpan {
  return {
    traceId: hex(span.traceId),
    spanId: hex(span.spanId),
    parentSpanId: hex(span.parentSpanId),
    traceState: span.traceState ?? '',
    flags: span.flags ?? 0,
    name: span.name ?? '',
    kind: span.kind ?? 0,
    startTimeUnixNano: toBigInt(span.startTimeUnixNano),
    endTimeUnixNano: toBigInt(span.endTimeUnixNano),
    attributes: attributesOf(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    events: (span.events ?? []).map((event) => ({
      timeUnixNano: toBigInt(event.timeUnixNano),
      name: event.name ?? '',
      attributes: attributesOf(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount ?? 0,
    links: (span.links ?? []).map((link) => ({
      traceId: hex(link.traceId),
      spanId: hex(link.spanId),
      traceState: link.traceState ?? '',
      attributes: attributesOf(link.attributes),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: link.flags ?? 0,
    })),
    droppedLinksCount: span.droppedLinksCount ?? 0,
    statusCode: span.status?.code ?? 0,
    statusMessage: span.status?.message ?? '',
  };
}

/** Decodes an `application/x-protobuf` ExportTraceServiceRequest. */
export function decodeProtobufRequest(body: Uint8Array): DecodedRequest {
  let message: PbExportTraceServiceRequest;
  try {
    message = ExportTraceServiceRequestType.decode(body) as unknown as PbExportTraceServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(
      `body is not a protobuf ExportTraceServiceRequest: ${(error as Error).message}`,
    );
  }
  const collector = new DecodeCollector();
  for (const resourceSpans of message.resourceSpans ?? []) {
    let resourceAttributes: Attributes;
    try {
      resourceAttributes = attributesOf(resourceSpans.resource?.attributes ?? []);
    } catch (error) {
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        collector.reject(`resource: ${(error as Error).message}`, scopeSpans.spans?.length ?? 0);
      }
      continue;
    }
    const resource = portableAttributes(resourceAttributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const origin = {
        resource,
        scope: scopeOf(scopeSpans.scope?.name ?? '', scopeSpans.scope?.version ?? ''),
      };
      for (const span of scopeSpans.spans ?? []) {
        collector.keep(() => buildSpanRecord(decodeSpan(span), origin));
      }
    }
  }
  return collector.result();
}
