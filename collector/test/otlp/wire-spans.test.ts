import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeProtobufRequest } from '../../src/otlp/decode-protobuf.js';
import { MalformedRequestError } from '../../src/otlp/decode-result.js';
import type { DecodedRequest } from '../../src/otlp/decode-result.js';
import { ExportTraceServiceRequestType } from '../../src/otlp/trace-proto.js';
import { scanProtobufRequest } from '../../src/otlp/wire-spans.js';
import { referenceDecodeProtobufRequest } from '../support/reference-protobuf-decode.js';

/** IDs from a counter: the same request bytes every run, so the corrupted-byte sweep is fixed. */
function countingIds(): IdGenerator {
  let next = 0;
  const hex = (length: number) => (++next).toString(16).padStart(length, '0');
  return { generateTraceId: () => hex(32), generateSpanId: () => hex(16) };
}

/** Spans of two resources and scopes, with every attribute type, events, links and statuses. */
function richSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  for (const service of ['assistant', 'worker']) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'host.cpus': 2, 'deploy.blue': true }),
      idGenerator: countingIds(),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer(`${service}-scope`, service === 'worker' ? '' : '0.9.0');
    const start: [number, number] = [1_764_057_600, 123_456_789];
    const root = tracer.startSpan('text_to_sql.query', {
      startTime: start,
      kind: SpanKind.SERVER,
      attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': 'ünïcödé 🏭' },
    });
    const child = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        startTime: [start[0], start[1] + 1000],
        attributes: {
          'text_to_sql.stage': 'model_interaction',
          'gen_ai.usage.input_tokens': 812,
          'app.big': 2 ** 60,
          'app.negative': -17,
          'gen_ai.request.temperature': 0.25,
          'app.nan': Number.NaN,
          'app.flag': false,
          'gen_ai.response.finish_reasons': ['stop', 'length'],
          'app.scores': [0.5, 1.5],
        },
        links: [
          { context: root.spanContext(), attributes: { 'link.kind': 'follows' } },
          { context: root.spanContext() },
        ],
      },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    child.addEvent('retry', { attempt: 2 }, [start[0], start[1] + 5000]);
    child.addEvent('plain', undefined, [start[0], start[1] + 6000]);
    child.recordException(new TypeError('socket hang up'));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'model timed out' });
    child.end([start[0] + 1, 999_999_999]);
    // Ends before it starts: duration zero.
    tracer
      .startSpan('backwards', { startTime: [start[0] + 5, 0] }, trace.setSpan(ROOT_CONTEXT, root))
      .end(start);
    root.setStatus({ code: SpanStatusCode.OK });
    root.end([start[0] + 2, 5]);
    spans.push(...exporter.getFinishedSpans());
  }
  return spans;
}

type PbObject = Record<string, unknown>;
/** The request as a plain object, to be changed and encoded again. */
function requestObject(spans: ReadableSpan[]): { resourceSpans: PbObject[] } {
  const body = ProtobufTraceSerializer.serializeRequest(spans)!;
  return ExportTraceServiceRequestType.toObject(ExportTraceServiceRequestType.decode(body)) as {
    resourceSpans: PbObject[];
  };
}
const encode = (object: object) =>
  Buffer.from(
    ExportTraceServiceRequestType.encode(ExportTraceServiceRequestType.fromObject(object)).finish(),
  );
const firstSpans = (object: { resourceSpans: PbObject[] }) =>
  (object.resourceSpans[0]!.scopeSpans as PbObject[])[0]!.spans as PbObject[];

/** A value nested `depth` arrays deep. */
function nested(depth: number): PbObject {
  let value: PbObject = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

/** What a decode returns or throws, comparable with toEqual. */
function outcome(decode: () => DecodedRequest): unknown {
  try {
    return decode();
  } catch (error) {
    if (error instanceof MalformedRequestError) return 'malformed';
    throw error;
  }
}

function expectSameAsReference(body: Buffer): void {
  expect(outcome(() => decodeProtobufRequest(body))).toEqual(
    outcome(() => referenceDecodeProtobufRequest(body)),
  );
}

describe('the wire-level protobuf decode', () => {
  it('builds the same records as the protobufjs decode, resources, scopes, events and links included', () => {
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(richSpans())!);
    const decoded = decodeProtobufRequest(body);
    expect(decoded.spans).toHaveLength(6);
    expect(decoded).toEqual(referenceDecodeProtobufRequest(body));
    // Spans of one scope share one resource and one scope object, as before.
    expect(decoded.spans[0]!.resource).toBe(decoded.spans[1]!.resource);
  });

  it('decodes map, mixed-array, bytes, large and duplicate attribute values as the protobufjs decode does', () => {
    const object = requestObject(richSpans());
    const span = firstSpans(object)[0]!;
    span.attributes = [
      ...(span.attributes as PbObject[]),
      {
        key: 'app.map',
        value: { kvlistValue: { values: [{ key: 'a', value: { intValue: '7' } }, { key: 'b' }] } },
      },
      {
        key: 'app.mixed',
        value: { arrayValue: { values: [{ stringValue: 'x' }, { doubleValue: Infinity }] } },
      },
      { key: 'app.bytes', value: { bytesValue: Buffer.from([0, 1, 254, 255]) } },
      { key: 'app.huge', value: { intValue: '9223372036854775807' } },
      { key: 'app.min', value: { intValue: '-9223372036854775808' } },
      { key: 'app.empty' },
      { key: 'app.dup', value: { stringValue: 'first' } },
      { key: 'app.dup', value: { boolValue: true } },
      { key: 'app.deep16', value: nested(16) },
    ];
    expectSameAsReference(encode(object));
    expect(decodeProtobufRequest(encode(object)).rejected).toBe(0);
  });

  it('decodes keys alike when they repeat, collide in its key table or are long', () => {
    const object = requestObject(richSpans());
    const long = 'k'.repeat(65);
    const allSpans = object.resourceSpans.flatMap((resourceSpans) =>
      (resourceSpans.scopeSpans as PbObject[]).flatMap((scopeSpans) => scopeSpans.spans as PbObject[]),
    );
    for (const span of allSpans)
      span.attributes = [
        ...((span.attributes as PbObject[] | undefined) ?? []),
        // "Aa" and "BB" have the same hash.
        { key: 'Aa', value: { stringValue: 'first' } },
        { key: 'BB', value: { stringValue: 'second' } },
        { key: long, value: { boolValue: true } },
      ];
    const body = encode(object);
    expectSameAsReference(body);
    const records = decodeProtobufRequest(body).spans;
    expect(records).toHaveLength(6);
    for (const { attributes } of records)
      expect([attributes.Aa, attributes.BB, attributes[long]]).toEqual(['first', 'second', true]);
  });

  it('merges array and kvlist values that occur more than once, as the protobufjs decode does', () => {
    const object = requestObject(richSpans());
    // Placeholder KeyValues whose value fields are 18 and 28 bytes long, overwritten below.
    firstSpans(object)[0]!.attributes = [
      { key: 'app.array', value: { bytesValue: Buffer.alloc(14, 0xee) } },
      { key: 'app.kvlist', value: { bytesValue: Buffer.alloc(24, 0xdd) } },
    ];
    const body = encode(object);
    // The KeyValue's value twice, merged into one AnyValue with its array (kvlist) field twice.
    const array = (letter: number) => [0x12, 0x07, 0x2a, 0x05, 0x0a, 0x03, 0x0a, 0x01, letter];
    const kvlist = (key: number) => [
      0x12,
      0x0c,
      0x32,
      0x0a,
      0x0a,
      0x08,
      0x0a,
      0x01,
      key,
      0x12,
      0x03,
      0x0a,
      0x01,
      0x63,
    ];
    const overwrite = (placeholder: number[], values: number[]) => {
      expect(values).toHaveLength(placeholder[1]! + 2);
      Buffer.from(values).copy(body, body.indexOf(Buffer.from(placeholder)));
    };
    overwrite([0x12, 0x10, 0x3a, 0x0e, 0xee], [...array(0x61), ...array(0x62)]);
    overwrite([0x12, 0x1a, 0x3a, 0x18, 0xdd], [...kvlist(0x78), ...kvlist(0x79)]);
    expectSameAsReference(body);
    const { attributes } = decodeProtobufRequest(body).spans[0]!;
    expect([attributes['app.array'], attributes['app.kvlist']]).toEqual([
      ['a', 'b'],
      JSON.stringify({ x: 'c', y: 'c' }),
    ]);
  });

  it('refuses a long string that is not UTF-8, as the protobufjs decode does', () => {
    const object = requestObject(richSpans());
    const text = 'x'.repeat(100);
    firstSpans(object)[0]!.attributes = [{ key: 'text', value: { stringValue: text } }];
    const body = encode(object);
    // The invalid byte past the first 64: a check of the start only would miss it.
    body[body.indexOf(Buffer.from(text)) + 80] = 0xff;
    expect(outcome(() => referenceDecodeProtobufRequest(body))).toBe('malformed');
    expectSameAsReference(body);
  });

  it('rejects the same spans with the same reasons: IDs, parents, nesting, a resource too deep', () => {
    const object = requestObject(richSpans());
    const spans = firstSpans(object);
    spans[0]!.traceId = Buffer.alloc(16);
    spans[1]!.spanId = Buffer.from([1, 2, 3]);
    spans[2]!.parentSpanId = Buffer.from([1, 2]);
    (spans.find((span) => span.name === 'chat gpt-4o')!.events as PbObject[])[0]!.attributes = [
      { key: 'deep', value: nested(17) },
    ];
    const worker = object.resourceSpans[1]!;
    (worker.resource as PbObject).attributes = [{ key: 'deep', value: nested(20) }];
    const body = encode(object);
    const decoded = decodeProtobufRequest(body);
    expect(decoded.rejected).toBe(6);
    expect(decoded.reasons).toEqual([
      // The model span (first) has a bad trace ID too: nesting is found first, as before.
      'attribute value nested deeper than 16',
      'spanId must be 8 non-zero bytes (got 3 bytes)',
      'parentSpanId must be empty or 8 bytes (got 2 bytes)',
      'resource: attribute value nested deeper than 16 (3 spans)',
    ]);
    expect(decoded).toEqual(referenceDecodeProtobufRequest(body));
    // The scan reports the same and keeps nothing of the rejected spans.
    const scanned = scanProtobufRequest(body);
    expect([scanned.rejected, scanned.reasons, scanned.spans.length]).toEqual([6, decoded.reasons, 0]);
  });

  it('treats an all-zero parent as none, and a query span with a parent as a root', () => {
    const object = requestObject(richSpans());
    const spans = firstSpans(object);
    const child = spans.find((span) => span.name === 'chat gpt-4o')!;
    child.parentSpanId = Buffer.alloc(8);
    const body = encode(object);
    expectSameAsReference(body);
    const scanned = scanProtobufRequest(body);
    const records = scanned.spans.records();
    expect(records.map((record) => [record.name, record.parentSpanId === undefined])).toContainEqual([
      'chat gpt-4o',
      true,
    ]);
    // Roots: the query spans (no parent) and the span whose parent is all zeroes.
    expect(records.filter((_, i) => scanned.spans.roots[i]).map((record) => record.name)).toEqual([
      'chat gpt-4o',
      'text_to_sql.query',
      'text_to_sql.query',
    ]);
  });

  it('reads bodies that are not requests as the protobufjs decode does, or refuses them as malformed', () => {
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(richSpans())!);
    expect(() => decodeProtobufRequest(body.subarray(0, body.length - 3))).toThrow(MalformedRequestError);
    expect(() => decodeProtobufRequest(Buffer.from([0x0a, 0xff]))).toThrow(MalformedRequestError);
    // Unknown fields are skipped; a deterministic sweep of corrupted bytes decodes alike or is
    // refused by both.
    expectSameAsReference(Buffer.concat([body, Buffer.from([0xa8, 0x1f, 0x05])]));
    // Tags and lengths as protobufjs reads them: at most five bytes and 32 bits (an unknown field
    // of the largest field number is skipped), lengths below 2^31; over-long forms are refused.
    expectSameAsReference(Buffer.concat([body, Buffer.from([0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01])]));
    expectSameAsReference(Buffer.concat([body, Buffer.from([0xf8, 0xff, 0xff, 0xff, 0x1f, 0x01])]));
    expectSameAsReference(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00]));
    expectSameAsReference(Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]));
    expectSameAsReference(Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x08]));
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let same = 0;
    for (let trial = 0; trial < 300; trial++) {
      const corrupted = Buffer.from(body);
      corrupted[Math.floor(random() * corrupted.length)] = Math.floor(random() * 256);
      const reference = outcome(() => referenceDecodeProtobufRequest(corrupted));
      const ours = outcome(() => decodeProtobufRequest(corrupted));
      // Ours may refuse a body protobufjs half-reads (a field running past its message's end);
      // whatever it accepts, it decodes as protobufjs does.
      if (ours !== 'malformed') expect(ours).toEqual(reference);
      if (ours === reference || (ours !== 'malformed' && reference !== 'malformed')) same += 1;
    }
    expect(same).toBeGreaterThan(250);
  });
});
