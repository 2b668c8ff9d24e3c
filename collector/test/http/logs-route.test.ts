/**
 * `POST /v1/logs` answers as `/v1/traces` does: bearer token, media type, 400 with a message for
 * bad input, partial success naming rejected records, 429/503 with Retry-After from the intake,
 * and a 200 only once the intake has the events.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCollectorApp } from '../../src/http/app.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';
import { ExportLogsServiceResponseType } from '../../src/otlp/logs-proto.js';
import { BackpressureError } from '../../src/assembler/intake-port.js';
import type { LogsIntake, LogsIntakeRequest } from '../../src/assembler/intake-port.js';
import { RecordingIntake } from '../support/recording-intake.js';
import { logsJsonBody, logsProtobufBody } from '../support/log-records.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

class RecordingLogsIntake extends RecordingIntake implements LogsIntake {
  readonly logs: LogsIntakeRequest[] = [];
  acceptLogs(request: LogsIntakeRequest): Promise<void> {
    if (this.pushBack) return Promise.reject(this.pushBack);
    this.logs.push(request);
    return Promise.resolve();
  }
  logEventCounts() {
    return { attached: 0, unattached: 0 };
  }
}

const apps: ReturnType<typeof buildCollectorApp>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function setup(token?: string) {
  const intake = new RecordingLogsIntake();
  const app = buildCollectorApp(
    { maxBodyBytes: 64 * 1024, ...(token ? { token } : {}) },
    { intake, metrics: new CollectorMetrics(), readiness: () => ({ ready: true, checks: {} }) },
  );
  apps.push(app);
  return { app, intake };
}

const record = {
  traceId: TRACE_ID,
  spanId: SPAN_ID,
  eventName: 'gen_ai.user.message',
  body: { content: 'hi' },
};

describe('POST /v1/logs', () => {
  it('accepts protobuf (gzip too) and JSON, answering ExportLogsServiceResponse in the same encoding', async () => {
    const { app, intake } = setup();
    const protobuf = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      payload: gzipSync(logsProtobufBody([record])),
    });
    expect(protobuf.statusCode).toBe(200);
    expect(protobuf.headers['content-type']).toBe('application/x-protobuf');
    expect(
      ExportLogsServiceResponseType.toObject(ExportLogsServiceResponseType.decode(protobuf.rawPayload)),
    ).toEqual({});
    const json = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'application/json' },
      payload: logsJsonBody([record]),
    });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({});
    expect(intake.logs.map((r) => r.events.map((e) => [e.traceId, e.spanId, e.event.name]))).toEqual([
      [[TRACE_ID, SPAN_ID, 'gen_ai.user.message']],
      [[TRACE_ID, SPAN_ID, 'gen_ai.user.message']],
    ]);
    expect(intake.logs[0]!.events[0]!.event.attributes).toEqual({ 'aitdr.log.body': '{"content":"hi"}' });
  });

  it('requires the bearer token when one is set', async () => {
    const { app, intake } = setup('s3cret');
    const payload = logsProtobufBody([record]);
    const headers = { 'content-type': 'application/x-protobuf' };
    expect((await app.inject({ method: 'POST', url: '/v1/logs', headers, payload })).statusCode).toBe(401);
    const authorized = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { ...headers, authorization: 'Bearer s3cret' },
      payload,
    });
    expect(authorized.statusCode).toBe(200);
    expect(intake.logs).toHaveLength(1);
  });

  it('answers 400 with a message for a body that is not a logs request, 415 for another media type', async () => {
    const { app, intake } = setup();
    const garbage = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: Buffer.from([0x0a, 0xff, 0xff]),
    });
    expect(garbage.statusCode).toBe(400);
    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'application/json' },
      payload: '{"resourceLogs": 3}',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ code: 3, message: expect.stringContaining('resourceLogs') });
    const text = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    expect(intake.logs).toHaveLength(0);
  });

  it('rejects an invalid record alone (partial success), and takes records naming no span without keeping them', async () => {
    const { app, intake } = setup();
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  eventName: 'gen_ai.choice',
                  body: { stringValue: 'ok' },
                },
                { traceId: 'abc', spanId: SPAN_ID, body: { stringValue: 'bad id' } },
                { body: { stringValue: 'an ordinary log line' } },
              ],
            },
          ],
        },
      ],
    };
    const response = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      partialSuccess: {
        rejectedLogRecords: '1',
        errorMessage: expect.stringContaining('traceId') as string,
      },
    });
    expect(intake.logs.flatMap((r) => r.events.map((e) => e.event.attributes?.['aitdr.log.body']))).toEqual([
      'ok',
    ]);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/aitdr_collector_log_records_received_total 3/);
    expect(metrics.body).toMatch(/aitdr_collector_log_records_rejected_total 1/);
    expect(metrics.body).toMatch(/aitdr_collector_log_records_without_span_total 1/);
  });

  it('passes the intake’s backpressure on as 429 with Retry-After', async () => {
    const { app, intake } = setup();
    intake.pushBack = new BackpressureError(429, 7, 'busy');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: logsProtobufBody([record]),
    });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
  });
});
