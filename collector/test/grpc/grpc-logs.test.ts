/**
 * OTLP/gRPC `LogsService/Export` over a real connection, on a running collector: the records join
 * their span's row as HTTP-sent ones do; the token and bad input answer as for traces.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGS_SERVICE_NAME } from '../../src/grpc/grpc-logs-service.js';
import { ExportLogsServiceResponseType } from '../../src/otlp/logs-proto.js';
import { startCollector } from '../../src/start-collector.js';
import type { RunningCollector } from '../../src/start-collector.js';
import { createTemporaryDirectory } from '../../../test/support/temp-dir.js';
import { eventually, selectAll } from '../e2e/support.js';
import { logsProtobufBody } from '../support/log-records.js';
import { protobufBody, queryTrace } from '../support/spans.js';

const EXPORT = `/${LOGS_SERVICE_NAME}/Export`;

describe('OTLP/gRPC LogsService', () => {
  let dir: { path: string; remove(): void };
  let database: string;
  let collector: RunningCollector;
  const clients: grpc.Client[] = [];

  beforeEach(async () => {
    dir = createTemporaryDirectory('aitdr-grpc-logs-');
    database = join(dir.path, 'training.db');
    collector = await startCollector({
      store: `sqlite:${database}`,
      port: 0,
      grpcPort: 0,
      token: 's3cret',
      spoolDirectory: join(dir.path, 'spool'),
      waitMs: 300,
      maxWaitMs: 3000,
    });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await collector.close();
    dir.remove();
  });

  function call(body: Buffer, token?: string): Promise<{ error?: grpc.ServiceError; response?: Buffer }> {
    const client = new grpc.Client(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createInsecure());
    clients.push(client);
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        EXPORT,
        (message: Buffer) => message,
        (message: Buffer) => message,
        body,
        metadata,
        (error, response) => resolve(error ? { error } : { response: response! }),
      );
    });
  }

  it('attaches records sent over gRPC to their span, in the rows', async () => {
    const spans = queryTrace();
    const classification = spans.find((s) => s.attributes['text_to_sql.stage'] === 'classification')!;
    const { traceId, spanId } = classification.spanContext();
    const { response } = await call(
      logsProtobufBody([{ traceId, spanId, eventName: 'gen_ai.choice', body: 'downtime' }]),
      's3cret',
    );
    expect(ExportLogsServiceResponseType.toObject(ExportLogsServiceResponseType.decode(response!))).toEqual(
      {},
    );
    const traces = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: 'Bearer s3cret' },
      body: protobufBody(spans),
    });
    expect(traces.status).toBe(200);
    const events = () =>
      selectAll<{ EVENTS: string | null }>(
        database,
        'SELECT EVENTS FROM AI_QUERY_CLASSIFICATIONS WHERE QUERY_ID = ?',
        traceId,
      );
    await eventually(() => events().length === 1);
    expect(JSON.parse(events()[0]!.EVENTS!)).toMatchObject([
      { name: 'gen_ai.choice', attributes: { 'aitdr.log.body': 'downtime' } },
    ]);
  });

  it('answers UNAUTHENTICATED without the token and INVALID_ARGUMENT for bytes that are no logs request', async () => {
    const body = logsProtobufBody([{ body: 'x' }]);
    expect((await call(body)).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call(Buffer.from([0x0a, 0xff, 0xff]), 's3cret')).error?.code).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
  });
});
