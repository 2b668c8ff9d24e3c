import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest } from '../../src/otlp/decode-json.js';
import { decodeProtobufRequest } from '../../src/otlp/decode-protobuf.js';
import { MalformedRequestError } from '../../src/otlp/decode-result.js';
import type { SpanRecord } from '@aitdr/conventions';

/** Spans made by the real SDK: every attribute type, events, links, statuses, a resource, a scope. */
function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'assistant',
      'service.version': '1.2.3',
      'host.cpus': 2,
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('text-to-sql', '0.9.0');
  // Nanosecond-precise times, so precision loss anywhere shows.
  const start: [number, number] = [1_764_057_600, 123_456_789];
  // No context manager is registered here, so the parent is passed explicitly.
  tracer.startActiveSpan('text_to_sql.query', { startTime: start, kind: SpanKind.SERVER }, (root) => {
    root.setAttributes({
      'text_to_sql.stage': 'query',
      'text_to_sql.query.text': 'scrap rate per shift — ünïcödé 🏭',
      'session.id': 's-1',
    });
    const child = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: [start[0], start[1] + 1000],
        attributes: {
          'text_to_sql.stage': 'model_interaction',
          'gen_ai.usage.input_tokens': 812,
          'gen_ai.request.temperature': 0.25,
          'text_to_sql.selection.sql_agreement': true,
          'gen_ai.response.finish_reasons': ['stop', 'length'],
          'app.scores': [0.5, 1.5],
          'app.flags': [true, false],
        },
        links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
      },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.addEvent('retry', { attempt: 2 }, [start[0], start[1] + 5000]);
    child.recordException(new TypeError('socket hang up'));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'model timed out' });
    child.end([start[0] + 1, 999_999_999]);
    root.setStatus({ code: SpanStatusCode.OK });
    root.end([start[0] + 2, 5]);
  });
  return exporter.getFinishedSpans();
}

function comparable(span: ReadableSpan) {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      time: event.time,
      attributes: event.attributes ?? {},
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: link.attributes ?? {},
    })),
    resource: span.resource.attributes,
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}

/** The same fields of a decoded span record. */
function comparableRecord(record: SpanRecord): ReturnType<typeof comparable> {
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.parentSpanId,
    name: record.name,
    kind: record.kind,
    startTime: record.startTime,
    endTime: record.endTime,
    status: record.status,
    attributes: record.attributes,
    events: record.events.map((event) => ({
      name: event.name,
      time: event.time,
      attributes: event.attributes ?? {},
    })),
    links: record.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      attributes: link.attributes ?? {},
    })),
    resource: record.resource,
    scope: { name: record.scope.name, version: record.scope.version },
  };
}

describe.each([
  [
    'protobuf',
    (spans: ReadableSpan[]) => decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(spans)!),
  ],
  [
    'json',
    (spans: ReadableSpan[]) =>
      decodeJsonRequest(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))),
  ],
] as const)('%s requests made by the official OTLP serializer', (_encoding, roundTrip) => {
  const sent = recordSpans();
  const decoded = roundTrip(sent);

  it('decode to the same spans, field by field, with nanosecond times', () => {
    expect(decoded.rejected).toBe(0);
    expect(decoded.spans.map(comparableRecord)).toEqual(sent.map(comparable));
  });

  it('decode to plain span records, with no SDK object: they survive JSON unchanged', () => {
    expect(JSON.parse(JSON.stringify(decoded.spans))).toEqual(decoded.spans);
  });

  it('keep the duration and the trace structure', () => {
    const child = decoded.spans.find((span) => span.name === 'chat gpt-4o')!;
    expect(child.duration).toEqual([1, 999_999_999 - 123_457_789 + 0]);
    expect(child.parentSpanId).toBe(decoded.spans.find((s) => s.name === 'text_to_sql.query')!.spanId);
  });
});

describe('decodeJsonRequest', () => {
  const ids = { traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'EEE19B7EC3C1B174' };
  const request = (span: object, extra: object = {}) =>
    JSON.stringify({
      resourceSpans: [
        { resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [span] }] },
      ],
      ...extra,
    });

  it('accepts snake_case names, enum names, 64-bit integers as numbers, and ignores unknown fields', () => {
    const result = decodeJsonRequest(
      request({
        trace_id: ids.traceId,
        span_id: ids.spanId,
        name: 'x',
        kind: 'SPAN_KIND_CLIENT',
        start_time_unix_nano: 1_000_000_000,
        endTimeUnixNano: '2000000001',
        attributes: [
          { key: 'n', value: { intValue: '9007199254740993' } },
          { key: 'm', value: { kvlistValue: { values: [{ key: 'a', value: { boolValue: true } }] } } },
          { key: 'mixed', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
          { key: 'b', value: { bytesValue: 'AAEC' } },
        ],
        futureField: { anything: true },
      }),
    );
    expect(result.rejected).toBe(0);
    const span = result.spans[0]!;
    expect(span.traceId).toBe(ids.traceId.toLowerCase());
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.startTime).toEqual([1, 0]);
    expect(span.endTime).toEqual([2, 1]);
    const expected: Attributes = { n: '9007199254740993', m: '{"a":true}', mixed: '["a",1]', b: 'AAEC' };
    expect(span.attributes).toEqual(expected);
  });

  it('rejects invalid spans one by one and keeps the valid ones beside them', () => {
    const valid = {
      traceId: ids.traceId,
      spanId: ids.spanId,
      name: 'ok',
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
    };
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                valid,
                { ...valid, traceId: '' },
                { ...valid, spanId: '0000000000000000' },
                { ...valid, traceId: 'zz' },
                { ...valid, startTimeUnixNano: 'soon' },
                { ...valid, attributes: 'not-a-list' },
                7,
              ],
            },
          ],
        },
      ],
    });
    const result = decodeJsonRequest(body);
    expect(result.spans.map((span) => span.name)).toEqual(['ok']);
    expect(result.rejected).toBe(6);
    expect(result.reasons.join('\n')).toMatch(/traceId must be 16 non-zero bytes/);
    expect(result.reasons.join('\n')).toMatch(
      /span.startTimeUnixNano must be an integer or a string of digits \(got string\)/,
    );
  });

  it('rejects values nested too deeply instead of recursing without bound', () => {
    let value: object = { stringValue: 'leaf' };
    for (let i = 0; i < 100; i++) value = { arrayValue: { values: [value] } };
    const result = decodeJsonRequest(
      request({
        ...ids,
        name: 'deep',
        attributes: [{ key: 'deep', value }],
        startTimeUnixNano: '1',
        endTimeUnixNano: '1',
      }),
    );
    expect(result.rejected).toBe(1);
    expect(result.reasons[0]).toMatch(/nested deeper than 16/);
  });

  it('throws MalformedRequestError naming the problem for a body that is not a request', () => {
    expect(() => decodeJsonRequest('{"resourceSpans":')).toThrow(MalformedRequestError);
    expect(() => decodeJsonRequest('[]')).toThrow(/must be a JSON object/);
    expect(() => decodeJsonRequest('{"resourceSpans":{}}')).toThrow(/resourceSpans must be an array/);
  });

  it('treats an empty request as zero spans', () => {
    expect(decodeJsonRequest('{}')).toEqual({ spans: [], rejected: 0, reasons: [] });
  });
});

describe('decodeProtobufRequest', () => {
  it('throws MalformedRequestError for bytes that are not a request', () => {
    expect(() => decodeProtobufRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(
      MalformedRequestError,
    );
  });

  it('rejects a span whose IDs have the wrong length', () => {
    const [span] = recordSpans();
    const bytes = ProtobufTraceSerializer.serializeRequest([span!])!;
    // Re-encode with a short trace ID through JSON, which the serializer makes hex.
    const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest([span!])));
    json.resourceSpans[0].scopeSpans[0].spans[0].traceId = 'abcd';
    expect(decodeJsonRequest(JSON.stringify(json)).rejected).toBe(1);
    expect(decodeProtobufRequest(bytes).rejected).toBe(0);
  });
});
