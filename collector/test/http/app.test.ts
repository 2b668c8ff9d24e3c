import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCollectorApp } from '../../src/http/app.js';
import { BackpressureError } from '../../src/assembler/intake-port.js';
import type { Readiness } from '../../src/receiver/readiness.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';
import { ExportTraceServiceResponseType, RpcStatusType } from '../../src/otlp/trace-proto.js';
import { RecordingIntake } from '../support/recording-intake.js';
import { jsonBody, protobufBody, queryTrace } from '../support/spans.js';

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

function setup(
  options: { token?: string; maxBodyBytes?: number; readiness?: Readiness; requestTimeoutMs?: number } = {},
) {
  const intake = new RecordingIntake();
  const metrics = new CollectorMetrics();
  const app = buildCollectorApp(
    {
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      token: options.token,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    },
    { intake, metrics, readiness: () => options.readiness ?? { ready: true, checks: {} } },
  );
  apps.push(app);
  return { app, intake, metrics };
}

const apps: ReturnType<typeof buildCollectorApp>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('POST /v1/traces', () => {
  it('accepts protobuf and answers an empty ExportTraceServiceResponse in protobuf', async () => {
    const { app, intake } = setup();
    const spans = queryTrace();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: PROTOBUF,
      payload: protobufBody(spans),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-protobuf');
    expect(
      ExportTraceServiceResponseType.toObject(ExportTraceServiceResponseType.decode(response.rawPayload)),
    ).toEqual({});
    expect(intake.spans.map((s) => s.spanId).sort()).toEqual(spans.map((s) => s.spanContext().spanId).sort());
    expect(intake.accepted[0]?.encoding).toBe('protobuf');
  });

  it('accepts JSON and gzip, and answers in JSON', async () => {
    const { app, intake } = setup();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
      payload: gzipSync(jsonBody(queryTrace('scrap rate'))),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json()).toEqual({});
    expect(intake.spans.map((s) => s.attributes['text_to_sql.query.text']).filter(Boolean)).toEqual([
      'scrap rate',
    ]);
  });

  it('keeps the valid spans of a mixed request and reports the rest as partial success', async () => {
    const { app, intake, metrics } = setup();
    const body = JSON.parse(jsonBody(queryTrace()).toString()) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const spans = body.resourceSpans[0]!.scopeSpans[0]!.spans;
    spans.push({ ...spans[0], traceId: '00000000000000000000000000000000' }, { ...spans[0], spanId: 'xyz' });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_TYPE,
      payload: JSON.stringify(body),
    });
    expect(response.statusCode).toBe(200);
    const { partialSuccess } = response.json();
    expect(partialSuccess.rejectedSpans).toBe('2');
    expect(partialSuccess.errorMessage).toMatch(/^2 span\(s\) rejected: traceId must be 16 non-zero bytes/);
    expect(partialSuccess.errorMessage).toMatch(/span.spanId must be a hex string/);
    expect(intake.spans).toHaveLength(2);
    expect(await metrics.text()).toMatch(/aitdr_collector_spans_rejected_total 2/);
  });

  it('answers 400 with a google.rpc.Status naming the problem for a malformed body', async () => {
    const { app, intake } = setup();
    const json = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_TYPE,
      payload: '{"resourceSpans": [',
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ code: 3, message: expect.stringMatching(/^body is not valid JSON/) });
    const pb = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: PROTOBUF,
      payload: Buffer.from([0x0a, 0xff, 0xff]),
    });
    expect(pb.statusCode).toBe(400);
    expect(RpcStatusType.toObject(RpcStatusType.decode(pb.rawPayload)).message).toMatch(
      /not a protobuf ExportTraceServiceRequest/,
    );
    const gz = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...PROTOBUF, 'content-encoding': 'gzip' },
      payload: Buffer.from('not gzip at all'),
    });
    expect(gz.statusCode).toBe(400);
    expect(intake.accepted).toEqual([]);
  });

  it('answers 413 for a body over the cap, and for a gzip body that inflates past it', async () => {
    const { app, intake } = setup({ maxBodyBytes: 64 * 1024 });
    const big = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: JSON_TYPE,
      payload: Buffer.alloc(65 * 1024, 32),
    });
    expect(big.statusCode).toBe(413);
    // 64 MiB of zeros compress to about 64 KiB: refused after reading no more than the cap.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(128 * 1024);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...PROTOBUF, 'content-encoding': 'gzip' },
      payload: bomb,
    });
    expect(response.statusCode).toBe(413);
    expect(RpcStatusType.toObject(RpcStatusType.decode(response.rawPayload)).message).toMatch(
      /larger than 65536 bytes/,
    );
    expect(intake.accepted).toEqual([]);
  });

  it('answers 413 over a real connection, reading the rest of the body the client is still sending', async () => {
    const { app } = setup({ maxBodyBytes: 64 * 1024 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    // 1 GiB of zeros as 1024 gzip members (one stream to a decoder), about 1 MB on the wire: the
    // cap is passed in the first member, with most of the body still to come.
    const bomb = Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(1024 * 1024))));
    const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      headers: { ...PROTOBUF, 'content-encoding': 'gzip' },
      body: bomb,
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(413);
    // The same for a body of no declared length (chunked) that runs past the cap.
    const chunk = Buffer.alloc(16 * 1024, 32);
    let chunks = 0;
    const endless = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: new ReadableStream({
        pull: (controller) => (chunks++ < 64 ? controller.enqueue(chunk) : controller.close()),
      }),
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    });
    expect(endless.status).toBe(413);
    // And for bodies far over it, declared up front: each answered, none cut off mid-upload.
    for (let i = 0; i < 5; i++) {
      const huge = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: Buffer.alloc(8 * 1024 * 1024, 32),
        signal: AbortSignal.timeout(10_000),
      });
      expect(huge.status).toBe(413);
    }
  });

  it('answers 415 for another content type or content encoding', async () => {
    const { app } = setup();
    const text = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().message).toMatch(
      /Content-Type must be application\/x-protobuf or application\/json, got text\/plain/,
    );
    const brotli = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...PROTOBUF, 'content-encoding': 'br' },
      payload: protobufBody(queryTrace()),
    });
    expect(brotli.statusCode).toBe(415);
  });

  it('answers 401 and stores nothing without the configured token, or with a wrong one', async () => {
    const { app, intake } = setup({ token: 's3cret-token' });
    const payload = protobufBody(queryTrace());
    const missing = await app.inject({ method: 'POST', url: '/v1/traces', headers: PROTOBUF, payload });
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...PROTOBUF, authorization: 'Bearer s3cret-tokeN' },
      payload,
    });
    expect([missing.statusCode, wrong.statusCode]).toEqual([401, 401]);
    expect(intake.accepted).toEqual([]);
    const right = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { ...PROTOBUF, authorization: 'Bearer s3cret-token' },
      payload,
    });
    expect(right.statusCode).toBe(200);
    expect(intake.accepted).toHaveLength(1);
  });

  it.each([429, 503] as const)('answers %i with Retry-After when the intake pushes back', async (status) => {
    const { app, intake } = setup();
    intake.pushBack = new BackpressureError(status, 7, 'store down and spool full');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: PROTOBUF,
      payload: protobufBody(queryTrace()),
    });
    expect(response.statusCode).toBe(status);
    expect(response.headers['retry-after']).toBe('7');
    expect(RpcStatusType.toObject(RpcStatusType.decode(response.rawPayload)).message).toBe(
      'store down and spool full',
    );
  });
});

describe('operations routes', () => {
  it('GET /health answers while the process runs', async () => {
    const { app } = setup({ readiness: { ready: false, checks: {} } });
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
  });

  it('GET /ready answers 503 with the failing checks', async () => {
    const readiness = {
      ready: false,
      checks: { store: { ok: false, detail: 'breaker open' }, spool: { ok: true } },
    };
    const { app } = setup({ readiness });
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual(readiness);
  });

  it('GET /metrics answers Prometheus text with request counts and durations', async () => {
    const { app } = setup();
    await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: PROTOBUF,
      payload: protobufBody(queryTrace()),
    });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/aitdr_collector_requests_total\{status="200"\} 1/);
    expect(response.body).toMatch(/aitdr_collector_spans_accepted_total 2/);
    expect(response.body).toMatch(/aitdr_collector_request_duration_seconds_count\{status="200"\} 1/);
  });
});

describe('slow clients', () => {
  /** Sends a request a byte every 100 ms: its headers, or (headers whole) its body. Records what the server does. */
  function dripping(port: number, what: 'headers' | 'body') {
    const head =
      'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\n' +
      'Content-Length: 100000\r\n\r\n';
    const socket = connect(port, '127.0.0.1');
    const seen = { answer: '', closedAfterMs: undefined as number | undefined };
    const started = Date.now();
    socket.on('data', (chunk: Buffer) => (seen.answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => (seen.closedAfterMs = Date.now() - started));
    let position = 0;
    if (what === 'body') socket.write(head);
    const timer = setInterval(() => {
      if (socket.writable)
        socket.write(what === 'headers' && position < head.length ? head[position++]! : 'x');
    }, 100);
    socket.on('close', () => clearInterval(timer));
    return { seen, stop: () => socket.destroy() };
  }

  it('cuts a client dripping its headers or its body at the request timeout, with 408', async () => {
    const { app } = setup({ requestTimeoutMs: 1500 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const clients = [dripping(port, 'headers'), dripping(port, 'body')];
    try {
      // Node's defaults cut these after 30 to 90 s; the timeout is 1.5 s, checked every second.
      await vi.waitFor(() => expect(clients.every((c) => c.seen.closedAfterMs !== undefined)).toBe(true), {
        timeout: 10_000,
        interval: 100,
      });
      for (const { seen } of clients) {
        expect(seen.answer).toMatch(/^HTTP\/1\.1 408/);
        expect(seen.closedAfterMs).toBeGreaterThanOrEqual(1400);
      }
    } finally {
      for (const client of clients) client.stop();
    }
  });
});
