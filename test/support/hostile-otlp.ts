/**
 * Hostile and broken OTLP/HTTP requests, generated from a seeded PRNG so a failing run
 * reproduces: random bytes, truncated and mutated bodies, wrong field types, invalid IDs, huge
 * and deeply nested values, many tiny spans, a gzip bomb, bodies over the cap. Many carry a valid
 * whole trace ("planted") beside the invalid parts: it must be stored.
 */
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Rng } from '@aitdr/demo';
import { jsonBody, protobufBody } from '@aitdr/collector/test/support/spans.js';
import { ExportTraceServiceRequestType } from '../../collector/src/otlp/trace-proto.js';

export const PROTOBUF = 'application/x-protobuf';
export const JSON_TYPE = 'application/json';

export interface HostileRequest {
  readonly kind: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Trace IDs of the valid whole traces in it: a 200 must keep them. */
  readonly planted: readonly string[];
  /** Spans in it that are invalid: a 200 must report them as rejected. */
  readonly invalidSpans?: number;
  /** The only acceptable status, when one is known. */
  readonly status?: number;
  /** Sent without a Content-Length (chunked), so the collector finds its size only by reading. */
  readonly chunked?: boolean;
}

/** A query trace (root + classification) whose IDs and times come from the PRNG. */
export function seededTrace(rng: Rng, attributes: Record<string, string> = {}): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz' }),
    idGenerator: { generateTraceId: () => rng.hex(32), generateSpanId: () => rng.hex(16) },
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('fuzz');
  const start = 1_764_057_600_000 + rng.int(0, 1e9);
  const root = tracer.startSpan(
    'text_to_sql.query',
    {
      startTime: start,
      attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': 'fuzz', ...attributes },
    },
    ROOT_CONTEXT,
  );
  tracer
    .startSpan(
      'text_to_sql.classification',
      {
        startTime: start + 1,
        attributes: { 'text_to_sql.stage': 'classification', 'text_to_sql.classification.category': 'x' },
      },
      trace.setSpan(ROOT_CONTEXT, root),
    )
    .end(start + 2);
  root.end(start + 3);
  return exporter.getFinishedSpans();
}

const traceIdOf = (spans: readonly ReadableSpan[]) => spans[0]!.spanContext().traceId;

const randomBytes = (rng: Rng, length: number) => Buffer.from(Array.from({ length }, () => rng.int(0, 255)));

function mutate(rng: Rng, body: Buffer): Buffer {
  const mutated = Buffer.from(body);
  for (let i = rng.int(1, 8); i > 0; i--) mutated[rng.int(0, mutated.length - 1)] = rng.int(0, 255);
  return mutated;
}

/** A value of another JSON type than `value`'s. */
function wrongTyped(rng: Rng, value: unknown): unknown {
  const candidates: unknown[] = [7, -1.5, 'text', '', true, null, [], [1, 'a'], { a: 1 }, 'ff'.repeat(20)];
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  return rng.pick(candidates.filter((c) => type(c) !== type(value)));
}

/** Replaces one field, anywhere in the request object, with a value of the wrong type. */
function withWrongType(rng: Rng, request: unknown): unknown {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (path.length > 0) paths.push(path);
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (typeof value === 'object' && value !== null)
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(request, []);
  const path = rng.pick(paths);
  const copy = structuredClone(request) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  parent[last] = wrongTyped(rng, parent[last]);
  return copy;
}

/** An OTLP JSON request: one resource, one scope, these spans. */
function jsonRequest(spans: unknown[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] },
          scopeSpans: [{ scope: { name: 'fuzz' }, spans }],
        },
      ],
    }),
  );
}

/** The JSON spans of a valid trace, to put beside invalid ones. */
function jsonSpans(spans: readonly ReadableSpan[]): unknown[] {
  const parsed = JSON.parse(jsonBody([...spans]).toString()) as {
    resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
  };
  return parsed.resourceSpans[0]!.scopeSpans[0]!.spans;
}

/** An AnyValue nested `depth` kvlists deep, as JSON text (deeper than JSON.stringify recurses). */
function nestedJsonValue(depth: number): string {
  const open = '{"kvlistValue":{"values":[{"key":"k","value":';
  return `${open.repeat(depth)}{"stringValue":"bottom"}${'}]}}'.repeat(depth)}`;
}

/** Protobuf of one span whose attribute is a kvlist nested `depth` deep. */
function nestedProtobufSpan(rng: Rng, depth: number): Buffer {
  const tag = (number: number) => varint((number << 3) | 2);
  const field = (number: number, payload: Buffer) =>
    Buffer.concat([tag(number), varint(payload.length), payload]);
  // Inside out, each level's prefix only (its length fields need the size inside), then one concat:
  // AnyValue.kvlist_value → KeyValueList.values → KeyValue { key: "k", value: <the level inside> }.
  const bottom = field(1, Buffer.from('bottom')); // AnyValue.string_value
  const prefixes: Buffer[] = [];
  let size = bottom.length;
  for (let i = 0; i < depth; i++) {
    const keyValueSize = 3 + 1 + varint(size).length + size;
    const listSize = 1 + varint(keyValueSize).length + keyValueSize;
    const prefix = Buffer.concat([
      tag(6),
      varint(listSize),
      tag(1),
      varint(keyValueSize),
      field(1, Buffer.from('k')),
      tag(2),
      varint(size),
    ]);
    prefixes.push(prefix);
    size += prefix.length;
  }
  const value = Buffer.concat([...prefixes.reverse(), bottom], size);
  const span = Buffer.concat([
    field(1, randomBytes(rng, 16)), // trace_id
    field(2, randomBytes(rng, 8)), // span_id
    field(5, Buffer.from('deep')), // name
    field(9, Buffer.concat([field(1, Buffer.from('deep')), field(2, value)])), // attributes
  ]);
  return field(1, field(2, field(2, span))); // ResourceSpans → ScopeSpans → Span
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      bytes.push(v);
      return Buffer.from(bytes);
    }
    bytes.push((v % 128) | 128);
  }
}

/** `count` tiny valid spans, each its own trace, or all in one trace. */
function tinySpans(rng: Rng, count: number, oneTrace: boolean): Buffer {
  const traceId = randomBytes(rng, 16);
  const spans = Array.from({ length: count }, () => ({
    traceId: oneTrace ? traceId : randomBytes(rng, 16),
    spanId: randomBytes(rng, 8),
    name: 's',
  }));
  const message = ExportTraceServiceRequestType.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
  return Buffer.from(ExportTraceServiceRequestType.encode(message).finish());
}

const plain = (contentType: string) => ({ 'content-type': contentType });

/** The generators, by kind. `maxBodyBytes` is the collector's cap; `tiny` sizes the many-tiny-spans requests. */
export function hostileRequestKinds(
  maxBodyBytes: number,
  tiny: { readonly spansInOneTrace: number; readonly traces: number },
) {
  let gzipBomb: Buffer | undefined;
  return {
    'random bytes': (rng: Rng): HostileRequest => ({
      kind: 'random bytes',
      headers: plain(rng.pick([PROTOBUF, JSON_TYPE])),
      body: randomBytes(rng, rng.int(0, 4096)),
      planted: [],
    }),
    'truncated protobuf': (rng: Rng): HostileRequest => {
      const body = protobufBody(seededTrace(rng));
      return {
        kind: 'truncated protobuf',
        headers: plain(PROTOBUF),
        body: body.subarray(0, rng.int(1, body.length - 1)),
        planted: [],
      };
    },
    'mutated protobuf': (rng: Rng): HostileRequest => ({
      kind: 'mutated protobuf',
      headers: plain(PROTOBUF),
      body: mutate(rng, protobufBody(seededTrace(rng))),
      planted: [],
    }),
    'truncated JSON': (rng: Rng): HostileRequest => {
      const body = jsonBody(seededTrace(rng));
      return {
        kind: 'truncated JSON',
        headers: plain(JSON_TYPE),
        body: body.subarray(0, rng.int(1, body.length - 1)),
        planted: [],
        status: 400,
      };
    },
    'mutated JSON': (rng: Rng): HostileRequest => ({
      kind: 'mutated JSON',
      headers: plain(JSON_TYPE),
      body: mutate(rng, jsonBody(seededTrace(rng))),
      planted: [],
    }),
    'wrong field type (JSON)': (rng: Rng): HostileRequest => ({
      kind: 'wrong field type (JSON)',
      headers: plain(JSON_TYPE),
      body: Buffer.from(
        JSON.stringify(withWrongType(rng, JSON.parse(jsonBody(seededTrace(rng)).toString()))),
      ),
      planted: [],
    }),
    'wrong wire type (protobuf)': (rng: Rng): HostileRequest => ({
      kind: 'wrong wire type (protobuf)',
      headers: plain(PROTOBUF),
      // resource_spans (field 1) as a varint instead of a message, then a group start tag.
      body: Buffer.concat([Buffer.from([0x08, rng.int(0, 127)]), Buffer.from([0x0b])]),
      planted: [],
      status: 400,
    }),
    'invalid or empty IDs': (rng: Rng): HostileRequest => {
      const valid = seededTrace(rng);
      const badIds = [
        { traceId: '', spanId: rng.hex(16) },
        { traceId: rng.hex(32), spanId: '' },
        { traceId: '0'.repeat(32), spanId: rng.hex(16) },
        { traceId: rng.hex(32), spanId: '0'.repeat(16) },
        { traceId: rng.hex(30), spanId: rng.hex(16) },
        { traceId: rng.hex(32), spanId: rng.hex(14) },
        { traceId: 'zz'.repeat(16), spanId: rng.hex(16) },
        { traceId: rng.hex(33), spanId: rng.hex(16) },
      ];
      const invalid = badIds.map((ids) => ({
        ...ids,
        name: 'bad',
        startTimeUnixNano: '1',
        endTimeUnixNano: '2',
      }));
      return {
        kind: 'invalid or empty IDs',
        headers: plain(JSON_TYPE),
        body: jsonRequest([...rng.shuffle([...invalid, ...jsonSpans(valid)])]),
        planted: [traceIdOf(valid)],
        invalidSpans: invalid.length,
        status: 200,
      };
    },
    'huge attribute values': (rng: Rng): HostileRequest => {
      const huge = 'h'.repeat(Math.floor(maxBodyBytes / 8));
      const valid = seededTrace(rng, { 'text_to_sql.query.text': huge, 'fuzz.huge': huge });
      return {
        kind: 'huge attribute values',
        headers: plain(PROTOBUF),
        body: protobufBody(valid),
        planted: [traceIdOf(valid)],
        status: 200,
      };
    },
    'deeply nested values (JSON)': (rng: Rng): HostileRequest => {
      const valid = seededTrace(rng);
      const deep = {
        traceId: rng.hex(32),
        spanId: rng.hex(16),
        name: 'deep',
        attributes: [{ key: 'deep', value: 'DEEP' }],
      };
      const body = jsonRequest([...jsonSpans(valid), deep])
        .toString()
        .replace('"DEEP"', nestedJsonValue(rng.int(17, Math.floor(maxBodyBytes / 60))));
      return {
        kind: 'deeply nested values (JSON)',
        headers: plain(JSON_TYPE),
        body: Buffer.from(body),
        planted: [traceIdOf(valid)],
        invalidSpans: 1,
        status: 200,
      };
    },
    'deeply nested values (protobuf)': (rng: Rng): HostileRequest => {
      // protobufjs refuses a message nested past its own limit (100 levels, about 31 kvlists):
      // below it the span is rejected on its own, beyond it the whole body is malformed.
      const valid = seededTrace(rng);
      const beyondDecoder = rng.chance(0.5);
      const depth = beyondDecoder ? rng.int(32, Math.floor(maxBodyBytes / 60)) : rng.int(17, 31);
      return {
        kind: 'deeply nested values (protobuf)',
        headers: plain(PROTOBUF),
        // Two serialized requests concatenated are one request with both resourceSpans.
        body: Buffer.concat([protobufBody(valid), nestedProtobufSpan(rng, depth)]),
        ...(beyondDecoder
          ? { planted: [], status: 400 }
          : { planted: [traceIdOf(valid)], invalidSpans: 1, status: 200 }),
      };
    },
    'many tiny spans, one trace': (rng: Rng): HostileRequest => ({
      kind: 'many tiny spans, one trace',
      headers: plain(PROTOBUF),
      body: tinySpans(rng, tiny.spansInOneTrace, true),
      planted: [],
    }),
    'many tiny spans, as many traces': (rng: Rng): HostileRequest => ({
      kind: 'many tiny spans, as many traces',
      headers: plain(PROTOBUF),
      body: tinySpans(rng, tiny.traces, false),
      planted: [],
    }),
    'gzip bomb': (): HostileRequest => {
      // 1 GiB of zeros in about 1 MB: gzip members of 1 MiB each, concatenated (one gzip stream
      // to a decoder).
      gzipBomb ??= Buffer.concat(Array(1024).fill(gzipSync(Buffer.alloc(1024 * 1024), { level: 9 })));
      return {
        kind: 'gzip bomb',
        headers: { ...plain(PROTOBUF), 'content-encoding': 'gzip' },
        body: gzipBomb,
        planted: [],
        status: 413,
      };
    },
    'corrupt gzip': (rng: Rng): HostileRequest => ({
      kind: 'corrupt gzip',
      headers: { ...plain(PROTOBUF), 'content-encoding': 'gzip' },
      body: mutate(rng, gzipSync(protobufBody(seededTrace(rng)))).subarray(0, 40),
      planted: [],
      status: 400,
    }),
    'body over the cap': (rng: Rng): HostileRequest => ({
      kind: 'body over the cap',
      headers: plain(rng.pick([PROTOBUF, JSON_TYPE])),
      // Up to four times the cap: the client is still sending when the collector decides.
      body: Buffer.alloc(rng.int(maxBodyBytes + 1, 4 * maxBodyBytes), 0x20),
      planted: [],
      status: 413,
    }),
    'body over the cap, chunked': (rng: Rng): HostileRequest => ({
      kind: 'body over the cap, chunked',
      headers: plain(rng.pick([PROTOBUF, JSON_TYPE])),
      body: Buffer.alloc(rng.int(maxBodyBytes + 1, 4 * maxBodyBytes), 0x20),
      planted: [],
      status: 413,
      chunked: true,
    }),
    'unsupported content type or encoding': (rng: Rng): HostileRequest => ({
      kind: 'unsupported content type or encoding',
      headers: rng.chance(0.5)
        ? plain(rng.pick(['text/plain', 'application/xml', 'multipart/form-data', '']))
        : { ...plain(PROTOBUF), 'content-encoding': rng.pick(['br', 'zstd', 'compress']) },
      body: protobufBody(seededTrace(rng)),
      planted: [],
      status: 415,
    }),
  } satisfies Record<string, (rng: Rng) => HostileRequest>;
}
