/**
 * The protobuf trace decode as the collector did it before the wire-level reader: protobufjs's
 * message, then the span builder. Kept for the tests, to show the wire-level decode builds the
 * same records and reports the same rejections.
 */
import type { Attributes } from '@opentelemetry/api';
import { portableAttributes } from '@aitdr/conventions';
import { DecodeCollector, MalformedRequestError } from '../../src/otlp/decode-result.js';
import type { DecodedRequest } from '../../src/otlp/decode-result.js';
import { InvalidSpanError, MAX_VALUE_DEPTH, buildSpanRecord, scopeOf } from '../../src/otlp/span-builder.js';
import type { DecodedSpan } from '../../src/otlp/span-builder.js';
import { ExportTraceServiceRequestType } from '../../src/otlp/trace-proto.js';
import type { PbExportTraceServiceRequest, PbSpan } from '../../src/otlp/trace-proto.js';
import { attributesOf, hex, toBigInt } from '../../src/otlp/common-proto.js';

/** A span is rejected on its own for a value nested too deep. */
const spanValueTooDeep = () => new InvalidSpanError(`attribute value nested deeper than ${MAX_VALUE_DEPTH}`);

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
    attributes: attributesOf(span.attributes, spanValueTooDeep),
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    events: (span.events ?? []).map((event) => ({
      timeUnixNano: toBigInt(event.timeUnixNano),
      name: event.name ?? '',
      attributes: attributesOf(event.attributes, spanValueTooDeep),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount ?? 0,
    links: (span.links ?? []).map((link) => ({
      traceId: hex(link.traceId),
      spanId: hex(link.spanId),
      traceState: link.traceState ?? '',
      attributes: attributesOf(link.attributes, spanValueTooDeep),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: link.flags ?? 0,
    })),
    droppedLinksCount: span.droppedLinksCount ?? 0,
    statusCode: span.status?.code ?? 0,
    statusMessage: span.status?.message ?? '',
  };
}

/** Decodes an `application/x-protobuf` ExportTraceServiceRequest. */
export function referenceDecodeProtobufRequest(body: Uint8Array): DecodedRequest {
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
      resourceAttributes = attributesOf(resourceSpans.resource?.attributes ?? [], spanValueTooDeep);
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
