/**
 * With a token configured, a request without it, with a wrong one (of the same length too) or
 * with another scheme gets 401 and nothing of it is kept: not journaled, not stored. The official
 * OTLP exporter with the right header gets its traces stored.
 */
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { protobufBody, queryTrace } from '@aitdr/collector/test/support/spans.js';
import { scrapeMetrics, storedTraceIds } from '../support/reliability.js';
import { sqliteStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const TOKEN = 'reliability-token-0123456789';

describe('collector with a bearer token', () => {
  const dir = createTemporaryDirectory('aitdr-token-');
  let store: StoreUnderTest;
  let collector: RunningCollector;

  beforeAll(async () => {
    store = await sqliteStore();
    collector = await startCollector({
      store: store.url,
      port: 0,
      stateDirectory: join(dir.path, 'spool'),
      waitMs: 50,
      token: TOKEN,
    });
  });

  afterAll(async () => {
    await collector?.close();
    await store?.close();
    dir.remove();
  });

  const exportWith = (headers: Record<string, string>, spans: ReadableSpan[]) => {
    const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, headers });
    return new Promise<ExportResult>((resolve) => exporter.export(spans, resolve)).finally(() =>
      exporter.shutdown(),
    );
  };

  it('answers 401 and keeps nothing without the token or with a wrong one; stores with it', async () => {
    const wrongSameLength = TOKEN.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
    const refusedHeaders: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${wrongSameLength}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
      { authorization: 'Bearer ' },
      { 'x-api-key': TOKEN },
    ];
    const refused: string[] = [];
    for (const headers of refusedHeaders) {
      const spans = queryTrace('refused');
      const response = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...headers },
        body: protobufBody(spans),
      });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      refused.push(spans[0]!.spanContext().traceId);
    }
    // The official exporter without the token, and with a wrong one, fails: 401 is not retried.
    for (const headers of [{}, { authorization: `Bearer ${wrongSameLength}` }] as Record<string, string>[]) {
      const spans = queryTrace('refused');
      expect((await exportWith(headers, spans)).code).toBe(ExportResultCode.FAILED);
      refused.push(spans[0]!.spanContext().traceId);
    }
    const metrics = await scrapeMetrics(collector.url);
    expect(metrics.get('aitdr_collector_requests_total{status="401"}')).toBe(refusedHeaders.length + 2);
    expect(metrics.get('aitdr_collector_spans_received_total')).toBe(0);
    expect(metrics.get('aitdr_collector_journal_bytes')).toBe(0);

    const allowed = queryTrace('allowed');
    expect((await exportWith({ authorization: `Bearer ${TOKEN}` }, allowed)).code).toBe(
      ExportResultCode.SUCCESS,
    );
    const allowedId = allowed[0]!.spanContext().traceId;
    await vi.waitFor(async () => expect(await storedTraceIds(store)).toEqual(new Set([allowedId])), {
      timeout: 20_000,
    });
    expect(refused.every((id) => id !== allowedId)).toBe(true);
  });
});
