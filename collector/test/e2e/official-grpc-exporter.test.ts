/**
 * The official OTLP/gRPC exporter sends a recorded query to a running collector over gRPC (gzip;
 * TLS with a bearer token), and the tables hold its rows: the same pipeline as OTLP/HTTP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecorder } from '@aitdr/sdk';
import { startCollector } from '../../src/start-collector.js';
import type { RunningCollector } from '../../src/start-collector.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { queryTrace } from '../support/spans.js';
import { eventually, selectAll, tableCounts } from './support.js';

const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);
const CERT_FILE = new URL('localhost.crt', TLS_DIR).pathname;
const KEY_FILE = new URL('localhost.key', TLS_DIR).pathname;
const TOKEN = 'grpc-test-token-0123456789';

describe('collector fed by the official OTLP/gRPC exporter', () => {
  let dir: { path: string; remove(): void };
  let collector: RunningCollector;

  afterEach(async () => {
    await collector.close();
    dir.remove();
  });

  async function start(secure: boolean): Promise<string> {
    dir = createTemporaryDirectory('aitdr-collector-grpc-');
    const database = join(dir.path, 'training.db');
    collector = await startCollector({
      store: `sqlite:${database}`,
      port: 0,
      grpcPort: 0,
      stateDirectory: join(dir.path, 'spool'),
      waitMs: 100,
      maxWaitMs: 2000,
      ...(secure ? { tls: { certFile: CERT_FILE, keyFile: KEY_FILE }, token: TOKEN } : {}),
    });
    return database;
  }

  async function recordQuery(exporter: SpanExporter): Promise<string> {
    const recorder = await createRecorder({ exporter, serviceName: 'grpc-assistant' });
    const { queryId } = await recorder.recordQuery({ text: 'rejects per line' }, (query) => {
      query.classification({ category: 'quality', confidence: 0.9, complexity: 'simple' });
      return Promise.resolve();
    });
    await recorder.shutdown();
    return queryId;
  }

  it('stores a recorded query sent gzip-compressed over plain gRPC', async () => {
    const database = await start(false);
    expect(collector.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const exporter = new OTLPTraceExporter({
      url: collector.grpcUrl!,
      compression: CompressionAlgorithm.GZIP,
    });
    const queryId = await recordQuery(exporter);
    await eventually(() => tableCounts(database).AI_QUERY_CLASSIFICATIONS === 1);
    expect(tableCounts(database)).toMatchObject({ AI_TRAINING_QUERIES: 1, AI_QUERY_CLASSIFICATIONS: 1 });
    expect(selectAll(database, 'SELECT QUERY_ID, QUERY_TEXT, SERVICE_NAME FROM AI_TRAINING_QUERIES')).toEqual(
      [{ QUERY_ID: queryId, QUERY_TEXT: 'rejects per line', SERVICE_NAME: 'grpc-assistant' }],
    );
  });

  it('over TLS stores what carries the bearer token and refuses what does not', async () => {
    const database = await start(true);
    expect(collector.grpcUrl).toMatch(/^https:\/\//);
    const url = collector.grpcUrl!.replace('127.0.0.1', 'localhost');
    const credentials = grpc.credentials.createSsl(readFileSync(CERT_FILE));

    const unauthenticated = new OTLPTraceExporter({ url, credentials });
    const result = await new Promise<ExportResult>((resolve) =>
      unauthenticated.export(queryTrace(), resolve),
    );
    await unauthenticated.shutdown();
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/bearer token/);

    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    const queryId = await recordQuery(new OTLPTraceExporter({ url, credentials, metadata }));
    await eventually(() => tableCounts(database).AI_QUERY_CLASSIFICATIONS === 1);
    expect(selectAll(database, 'SELECT QUERY_ID FROM AI_TRAINING_QUERIES')).toEqual([{ QUERY_ID: queryId }]);

    // The HTTP port serves the same certificate and asks for the same token.
    expect(collector.url).toMatch(/^https:\/\//);
    const overHttps = new OtlpProtoExporter({
      url: `${collector.url.replace('127.0.0.1', 'localhost')}/v1/traces`,
      headers: { authorization: `Bearer ${TOKEN}` },
      httpAgentOptions: { ca: readFileSync(CERT_FILE) },
    });
    const httpsQueryId = await recordQuery(overHttps);
    await eventually(() => tableCounts(database).AI_TRAINING_QUERIES === 2);
    expect(
      selectAll(database, 'SELECT QUERY_ID FROM AI_TRAINING_QUERIES WHERE QUERY_ID = ?', httpsQueryId),
    ).toEqual([{ QUERY_ID: httpsQueryId }]);
  });
});
