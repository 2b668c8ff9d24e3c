import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME, ATTR_USER_NAME } from '@aitdr/conventions';
import { createRecorder } from '@aitdr/sdk';
import { FakeTraceWriter, RecordingExporter } from './helpers.js';

// The table exporter is built elsewhere; this stands in for the installed @aitdr/exporter so the
// set-up's dynamic import path runs for real.
const exporterModule = vi.hoisted(() => ({ createTableExporter: vi.fn() }));
vi.mock('@aitdr/exporter', () => exporterModule);

/** A loopback OTLP/HTTP receiver: keeps the bodies posted to each path and their content type. */
const received: { path: string; body: string; contentType: string }[] = [];
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
  request.on('end', () => {
    const contentType = request.headers['content-type'] ?? '';
    received.push({ path: request.url ?? '', body, contentType });
    // An empty ExportTraceServiceResponse in the encoding asked for.
    if (contentType === 'application/json')
      response.writeHead(200, { 'content-type': contentType }).end('{}');
    else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  received.length = 0;
  exporterModule.createTableExporter.mockReset();
  vi.unstubAllEnvs();
});

describe('createRecorder', () => {
  describe('with a store', () => {
    it('loads @aitdr/exporter on demand and writes to the table exporter it creates', async () => {
      const writer = new FakeTraceWriter();
      exporterModule.createTableExporter.mockReturnValue(writer);
      const recorder = await createRecorder({
        store: 'sqlite:./training.db',
        storeOptions: { spoolDirectory: '/var/spool/aitdr' },
      });
      const { queryId } = await recorder.recordQuery('show downtime', () => undefined, { mode: 'sync' });
      await recorder.shutdown();

      // The table exporter's name for the directory of its spool is `stateDirectory`; each
      // hand-over of the processor is one transaction, written at once.
      expect(exporterModule.createTableExporter).toHaveBeenCalledWith({
        store: 'sqlite:./training.db',
        stateDirectory: '/var/spool/aitdr',
        batchSize: 256,
        lingerMs: 0,
      });
      expect(writer.writes.map((write) => [write.require, write.spans[0]!.spanContext().traceId])).toEqual([
        ['committed', queryId],
      ]);
      expect(recorder.status().writer).toEqual(writer.currentStatus);
    });

    it('uses an injected factory instead of the import, with the connection options object', async () => {
      const writer = new FakeTraceWriter();
      const factory = vi.fn(() => writer);
      const store = { dialect: 'postgres', connectionString: 'postgres://localhost/training' };
      const recorder = await createRecorder({ store, tableExporterFactory: factory });
      await recorder.shutdown();
      expect(factory).toHaveBeenCalledWith({ store, batchSize: 256, lingerMs: 0 });
      expect(exporterModule.createTableExporter).not.toHaveBeenCalled();
    });

    it("keeps the table exporter's batching given in storeOptions", async () => {
      const factory = vi.fn(() => new FakeTraceWriter());
      const recorder = await createRecorder({
        store: 'sqlite:./training.db',
        storeOptions: { batchSize: 64, lingerMs: 20 },
        tableExporterFactory: factory,
      });
      await recorder.shutdown();
      expect(factory).toHaveBeenCalledWith({ store: 'sqlite:./training.db', batchSize: 64, lingerMs: 20 });
    });

    it('lets background traces wait 100 ms to share one write call (each call costs a transaction)', async () => {
      const writer = new FakeTraceWriter();
      const recorder = await createRecorder({
        store: 'sqlite:./training.db',
        tableExporterFactory: () => writer,
      });
      const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const first = await recorder.recordQuery('show downtime', () => undefined);
        // Without a linger the export of the first trace would start on this turn.
        await nextTurn();
        const second = await recorder.recordQuery('show scrap', () => undefined);
        await nextTurn();
        expect(writer.writes).toHaveLength(0);

        await vi.advanceTimersByTimeAsync(100);
        expect(writer.writes.map((write) => write.spans.map((span) => span.spanContext().traceId))).toEqual([
          [first.queryId, second.queryId],
        ]);
      } finally {
        vi.useRealTimers();
        await recorder.shutdown();
      }
    });
  });

  describe('with a collector', () => {
    it('sends the traces with the standard OTLP/HTTP exporter to the given URL', async () => {
      const recorder = await createRecorder({
        collector: { url: `${baseUrl}/v1/traces` },
        serviceName: 'sql-assistant',
      });
      await recorder.recordQuery('show downtime by line', () => undefined);
      await recorder.forceFlush();
      await recorder.shutdown();

      // The specification's default encoding: http/protobuf.
      expect(received.map((request) => [request.path, request.contentType])).toEqual([
        ['/v1/traces', 'application/x-protobuf'],
      ]);
      const body = received[0]!.body;
      expect(body).toContain('show downtime by line');
      expect(body).toContain('sql-assistant');
      expect(exporterModule.createTableExporter).not.toHaveBeenCalled();
    });

    it('sends JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json (the traces-specific variable wins)', async () => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
      const recorder = await createRecorder({ collector: { url: `${baseUrl}/v1/traces` } });
      await recorder.recordQuery('show scrap by shift', () => undefined);
      vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/protobuf');
      const protobuf = await createRecorder({ collector: { url: `${baseUrl}/v1/traces` } });
      await protobuf.recordQuery('show scrap by line', () => undefined);
      await Promise.all([recorder.shutdown(), protobuf.shutdown()]);

      const json = received.find((request) => request.contentType === 'application/json');
      expect(JSON.parse(json!.body)).toHaveProperty('resourceSpans');
      expect(json!.body).toContain('show scrap by shift');
      expect(received.map((request) => request.contentType).sort()).toEqual([
        'application/json',
        'application/x-protobuf',
      ]);
    });

    it('takes the endpoint from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT when given no URL', async () => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${baseUrl}/from-env`);
      const recorder = await createRecorder({ collector: true });
      await recorder.recordQuery('q', () => undefined);
      await recorder.shutdown();
      expect(received.map((request) => request.path)).toEqual(['/from-env']);
    });
  });

  it('also sends every span to Jaeger when asked, redacted like the rest', async () => {
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({
      exporter,
      jaeger: { url: `${baseUrl}/jaeger` },
      redaction: { usernames: 'drop' },
    });
    await recorder.recordQuery(
      { text: 'write to ann@example.com', context: { username: 'ann' } },
      () => undefined,
    );
    await recorder.forceFlush();

    expect(received.map((request) => request.path)).toEqual(['/jaeger']);
    expect(received[0]!.body).toContain('[REDACTED:email]');
    expect(received[0]!.body).not.toContain('ann@example.com');
    const stored = exporter.calls.flat()[0]!;
    expect(stored.attributes[ATTR_USER_NAME]).toBeUndefined();
    await recorder.shutdown();
  });

  it('names the service on the resource', async () => {
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({
      exporter,
      serviceName: 'sql-assistant',
      serviceVersion: '2.4.1',
    });
    await recorder.recordQuery('q', () => undefined);
    await recorder.forceFlush();
    expect(exporter.calls.flat()[0]!.resource.attributes[ATTR_SERVICE_NAME]).toBe('sql-assistant');
    await recorder.shutdown();
  });

  it('refuses options naming no destination or more than one', async () => {
    await expect(createRecorder({})).rejects.toThrow('exactly one destination');
    await expect(createRecorder({ store: 'sqlite:x.db', collector: true })).rejects.toThrow(
      'store, collector',
    );
  });

  describe('the global provider', () => {
    afterEach(() => {
      trace.disable();
      context.disable();
    });

    it('is left alone by default', async () => {
      const recorder = await createRecorder({ exporter: new RecordingExporter() });
      expect(trace.getTracer('app').startSpan('x').isRecording()).toBe(false);
      await recorder.shutdown();
    });

    it('is taken over with registerGlobal, with a context manager so startActiveSpan nests', async () => {
      const exporter = new RecordingExporter();
      const recorder = await createRecorder({ exporter, registerGlobal: true });
      const tracer = trace.getTracer('app');
      tracer.startActiveSpan('parent', (parent) => {
        tracer.startActiveSpan('child', (child) => child.end());
        parent.end();
      });
      await recorder.forceFlush();
      const [child, parent] = exporter.calls.flat();
      expect(child!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
      await recorder.shutdown();
    });
  });
});
