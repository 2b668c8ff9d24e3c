/**
 * The OTLP/gRPC receiver over a real connection, with a plain grpc-js client: the answers a client
 * sees (status codes, RetryInfo, partial success, health) for each outcome of the shared pipeline.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcReceiver, TRACE_SERVICE_NAME } from '../../src/grpc/grpc-receiver.js';
import { RETRY_INFO_TYPE_URL, RetryInfoType, StatusType } from '../../src/grpc/status-details.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';
import { BackpressureError } from '../../src/assembler/intake-port.js';
import type { Readiness } from '../../src/receiver/readiness.js';
import { ExportTraceServiceRequestType, ExportTraceServiceResponseType } from '../../src/otlp/trace-proto.js';
import { intakeRecords } from '../../src/otlp/decode-trace-request.js';
import { RecordingIntake } from '../support/recording-intake.js';
import { protobufBody, queryTrace } from '../support/spans.js';

const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);
const TLS = {
  cert: readFileSync(new URL('localhost.crt', TLS_DIR)),
  key: readFileSync(new URL('localhost.key', TLS_DIR)),
};

const receivers: GrpcReceiver[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function setup(
  options: { token?: string; maxBodyBytes?: number; tls?: boolean; readiness?: () => Readiness } = {},
) {
  const intake = new RecordingIntake();
  const metrics = new CollectorMetrics();
  const receiver = await GrpcReceiver.start(
    {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      healthIntervalMs: 20,
      ...(options.token ? { token: options.token } : {}),
      ...(options.tls ? { tls: TLS } : {}),
    },
    { intake, metrics, readiness: options.readiness ?? (() => ({ ready: true, checks: {} })) },
  );
  receivers.push(receiver);
  return { receiver, intake, metrics };
}

interface CallResult {
  readonly error?: grpc.ServiceError;
  readonly response?: Buffer;
}

function unary(
  port: number,
  path: string,
  body: Buffer,
  options: { metadata?: Record<string, string>; gzip?: boolean; tls?: boolean } = {},
): Promise<CallResult> {
  const credentials = options.tls ? grpc.credentials.createSsl(TLS.cert) : grpc.credentials.createInsecure();
  const client = new grpc.Client(`localhost:${port}`, credentials, {
    ...(options.gzip ? { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip } : {}),
  });
  clients.push(client);
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (message: Buffer) => message,
      (message: Buffer) => message,
      body,
      metadata,
      (error, response) => resolve(error ? { error } : { response: response! }),
    );
  });
}

const EXPORT = `/${TRACE_SERVICE_NAME}/Export`;
const exportCall = (port: number, body: Buffer, options?: Parameters<typeof unary>[3]) =>
  unary(port, EXPORT, body, options);

function retryDelaySeconds(error: grpc.ServiceError): number | undefined {
  const [details] = error.metadata.get('grpc-status-details-bin');
  if (!(details instanceof Buffer)) return undefined;
  const status = StatusType.toObject(StatusType.decode(details), { longs: Number }) as {
    code: number;
    details?: { typeUrl: string; value: Uint8Array }[];
  };
  const retryInfo = status.details?.find((detail) => detail.typeUrl === RETRY_INFO_TYPE_URL);
  if (!retryInfo) return undefined;
  const decoded = RetryInfoType.toObject(RetryInfoType.decode(retryInfo.value), { longs: Number }) as {
    retryDelay?: { seconds?: number };
  };
  return decoded.retryDelay?.seconds;
}

describe('GrpcReceiver', () => {
  describe('TraceService/Export', () => {
    it('accepts a request, gzip-compressed or not, and answers an empty ExportTraceServiceResponse', async () => {
      const { receiver, intake, metrics } = await setup();
      for (const gzip of [false, true]) {
        const { error, response } = await exportCall(receiver.port, protobufBody(queryTrace()), { gzip });
        expect(error).toBeUndefined();
        expect(
          ExportTraceServiceResponseType.toObject(ExportTraceServiceResponseType.decode(response!)),
        ).toEqual({});
      }
      expect(intake.accepted).toHaveLength(2);
      expect(intake.accepted[1]).toMatchObject({ encoding: 'protobuf' });
      expect(
        intakeRecords(intake.accepted[1]!.spans)
          .map((span) => span.name)
          .sort(),
      ).toEqual(['text_to_sql.classification', 'text_to_sql.query']);
      expect(await metrics.text()).toMatch(/aitdr_collector_grpc_requests_total\{code="OK"\} 2/);
    });

    it('keeps the valid spans of a mixed request and reports the rest as partial success', async () => {
      const { receiver, intake } = await setup();
      const request = ExportTraceServiceRequestType.decode(protobufBody(queryTrace())) as unknown as {
        resourceSpans: { scopeSpans: { spans: { traceId: Uint8Array }[] }[] }[];
      };
      const spans = request.resourceSpans[0]!.scopeSpans[0]!.spans;
      spans.push({ ...spans[0]!, traceId: new Uint8Array(16) });
      const body = Buffer.from(ExportTraceServiceRequestType.encode(request).finish());
      const { error, response } = await exportCall(receiver.port, body);
      expect(error).toBeUndefined();
      const decoded = ExportTraceServiceResponseType.toObject(
        ExportTraceServiceResponseType.decode(response!),
        {
          longs: Number,
        },
      ) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
      expect(decoded.partialSuccess.rejectedSpans).toBe(1);
      expect(decoded.partialSuccess.errorMessage).toMatch(/traceId must be 16 non-zero bytes/);
      expect(intake.accepted[0]!.spans).toHaveLength(2);
    });

    it('answers INVALID_ARGUMENT naming the problem for bytes that are no ExportTraceServiceRequest', async () => {
      const { receiver, intake } = await setup();
      const { error } = await exportCall(receiver.port, Buffer.from([0x0a, 0xff, 0x01]));
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details).not.toBe('');
      expect(intake.accepted).toHaveLength(0);
    });

    it('answers RESOURCE_EXHAUSTED with RetryInfo when the collector is busy (429 on HTTP)', async () => {
      const { receiver, intake } = await setup();
      intake.pushBack = new BackpressureError(429, 7, 'store is behind: 2000 traces being written');
      const { error } = await exportCall(receiver.port, protobufBody(queryTrace()));
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error?.details).toBe('store is behind: 2000 traces being written');
      expect(retryDelaySeconds(error!)).toBe(7);
    });

    it('answers UNAVAILABLE with RetryInfo when the collector cannot keep data (503 on HTTP)', async () => {
      const { receiver, intake } = await setup();
      intake.pushBack = new BackpressureError(503, 5, 'cannot keep traces: journal full');
      const { error } = await exportCall(receiver.port, protobufBody(queryTrace()));
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(retryDelaySeconds(error!)).toBe(5);
    });

    it('answers RESOURCE_EXHAUSTED without RetryInfo for a message over the cap, gzip or not', async () => {
      const { receiver, intake } = await setup({ maxBodyBytes: 2000 });
      const big = protobufBody(queryTrace('x'.repeat(10_000)));
      for (const gzip of [false, true]) {
        const { error } = await exportCall(receiver.port, big, { gzip });
        expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(retryDelaySeconds(error!)).toBeUndefined();
      }
      expect(intake.accepted).toHaveLength(0);
    });

    it('answers UNAUTHENTICATED without the bearer token, and accepts it over TLS', async () => {
      const token = 'a-token-of-sixteen-chars';
      const { receiver, intake } = await setup({ token, tls: true });
      const body = protobufBody(queryTrace());
      const missing = await exportCall(receiver.port, body, { tls: true });
      expect(missing.error?.code).toBe(grpc.status.UNAUTHENTICATED);
      const wrong = await exportCall(receiver.port, body, {
        tls: true,
        metadata: { authorization: 'Bearer not-the-token-at-all' },
      });
      expect(wrong.error?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(intake.accepted).toHaveLength(0);
      const right = await exportCall(receiver.port, body, {
        tls: true,
        metadata: { authorization: `Bearer ${token}` },
      });
      expect(right.error).toBeUndefined();
      expect(intake.accepted).toHaveLength(1);
    });
  });

  describe('with the official OTLP/gRPC exporter', () => {
    async function exportWith(port: number, body = queryTrace()): Promise<ExportResult> {
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}` });
      try {
        return await new Promise((resolve) => exporter.export(body, resolve));
      } finally {
        await exporter.shutdown();
      }
    }

    it('succeeds when accepted, and fails with the code of each refusal', async () => {
      const { receiver, intake } = await setup({ maxBodyBytes: 4000 });
      expect((await exportWith(receiver.port)).code).toBe(ExportResultCode.SUCCESS);
      expect(intake.accepted).toHaveLength(1);
      const refusals = [
        [new BackpressureError(429, 1, 'busy'), grpc.status.RESOURCE_EXHAUSTED],
        [new BackpressureError(503, 1, 'cannot keep'), grpc.status.UNAVAILABLE],
      ] as const;
      for (const [pushBack, code] of refusals) {
        intake.pushBack = pushBack;
        const result = await exportWith(receiver.port);
        expect(result.code).toBe(ExportResultCode.FAILED);
        expect(result.error).toMatchObject({ code, details: pushBack.message });
      }
      intake.pushBack = undefined;
      const tooLarge = await exportWith(receiver.port, queryTrace('x'.repeat(10_000)));
      expect(tooLarge.error).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      expect(intake.accepted).toHaveLength(1);
    });
  });

  describe('grpc.health.v1.Health/Check', () => {
    const health = protobuf.parse(`
      syntax = "proto3";
      message HealthCheckRequest { string service = 1; }
      message HealthCheckResponse { int32 status = 1; }
    `).root;
    const Request = health.lookupType('HealthCheckRequest');
    const Response = health.lookupType('HealthCheckResponse');
    const SERVING = 1;
    const NOT_SERVING = 2;

    async function check(port: number, service: string): Promise<number> {
      const body = Buffer.from(Request.encode(Request.create({ service })).finish());
      const { error, response } = await unary(port, '/grpc.health.v1.Health/Check', body);
      if (error) throw error;
      return (Response.decode(response!) as unknown as { status: number }).status;
    }

    it('follows readiness for the server and the trace service, and says NOT_SERVING once closing', async () => {
      let ready = true;
      const { receiver } = await setup({ readiness: () => ({ ready, checks: {} }) });
      expect(await check(receiver.port, '')).toBe(SERVING);
      expect(await check(receiver.port, TRACE_SERVICE_NAME)).toBe(SERVING);
      ready = false;
      await expect.poll(() => check(receiver.port, TRACE_SERVICE_NAME)).toBe(NOT_SERVING);
      expect(await check(receiver.port, '')).toBe(NOT_SERVING);
    });
  });
});
