import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createRecorder } from '@aitdr/sdk';
import { encodeTraceExportRequest, useNativeProtobufWriter } from '../src/otlp-protobuf.js';
import { RecordingExporter } from './helpers.js';

/** A loopback OTLP/HTTP receiver keeping each request body as it arrived, by path. */
const bodies = new Map<string, Buffer[]>();
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const path = request.url ?? '';
    bodies.set(path, [...(bodies.get(path) ?? []), Buffer.concat(chunks)]);
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Spans of two recorded queries, feedback and a plain OpenTelemetry span of another scope. */
async function recordedSpans(): Promise<ReadableSpan[]> {
  const exporter = new RecordingExporter();
  const recorder = await createRecorder({
    exporter,
    serviceName: 'sql-assistant ✓',
    resource: { 'deployment.tier': 3 },
  });
  for (const text of ['show downtime by line', 'Störungen je Schicht 𝄞 — ausführlich '.repeat(20)]) {
    const { queryId, rootSpanId } = await recorder.recordQuery(text, (query) => {
      query.classification({ category: 'aggregation', confidence: 0.875 });
      query.modelInteraction(
        { source: 'local', operationName: 'chat', provider: 'ollama', requestModel: 'm'.repeat(300) },
        { error: new Error('timed out') },
      );
    });
    await recorder.recordFeedback({ queryId, rootSpanId, rating: 4 });
  }
  const plain = recorder.tracerProvider.getTracer('app', '2.0.0').startSpan('GET /orders', {
    attributes: { 'http.status_code': 200, tags: ['a', 'b'], ok: true, big: 2 ** 40, neg: -3 },
  });
  plain.setStatus({ code: SpanStatusCode.OK });
  plain.addEvent('cache miss', { key: 'orders' });
  plain.end();
  await recorder.forceFlush();
  await recorder.shutdown();
  return exporter.calls.flat();
}

function send(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<number> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code)));
}

describe('the native OTLP protobuf writer', () => {
  it('sends the same bytes as the official exporter for recorded queries, feedback and plain spans', async () => {
    const spans = await recordedSpans();
    expect(spans.length).toBeGreaterThan(8);
    expect(new Set(spans.map((span) => span.instrumentationScope.name)).size).toBe(2);
    const official = new OTLPTraceExporter({ url: `${baseUrl}/official` });
    const native = new OTLPTraceExporter({ url: `${baseUrl}/native` });
    expect(useNativeProtobufWriter(native)).toBe(true);

    expect(await send(official, spans)).toBe(0);
    expect(await send(native, spans)).toBe(0);
    await Promise.all([official.shutdown(), native.shutdown()]);

    const [officialBody] = bodies.get('/official')!;
    const [nativeBody] = bodies.get('/native')!;
    expect(nativeBody!.length).toBeGreaterThan(2000);
    expect(nativeBody!.equals(officialBody!)).toBe(true);
    expect(Buffer.from(encodeTraceExportRequest(spans)).equals(officialBody!)).toBe(true);
  });

  it('is what createRecorder sends to a collector', async () => {
    const recorder = await createRecorder({ collector: { url: `${baseUrl}/collector` } });
    await recorder.recordQuery('show scrap by shift', () => undefined);
    await recorder.shutdown();
    const [body] = bodies.get('/collector')!;
    expect(body!.toString('latin1')).toContain('show scrap by shift');
  });

  it('leaves an exporter whose serializer writes other bytes as it is', () => {
    const serializer = {
      serializeRequest: () => new Uint8Array([10, 0]),
      deserializeResponse: () => ({}),
    };
    const exporter = { _delegate: { _serializer: serializer } };
    expect(useNativeProtobufWriter(exporter)).toBe(false);
    expect(exporter._delegate._serializer).toBe(serializer);
    expect(useNativeProtobufWriter({})).toBe(false);
  });

  it('writes an empty request for no spans', () => {
    expect(encodeTraceExportRequest([]).length).toBe(0);
  });
});
