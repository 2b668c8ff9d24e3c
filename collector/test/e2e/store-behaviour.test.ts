/**
 * The collector on a real store: late spans merge into stored rows exactly once; with the store
 * down it stays ready and keeps acknowledging while the spool has room (a balancer must not take
 * every instance out), reporting the store's trouble in /health and /metrics; with the spool full
 * too it stops acknowledging (503 with Retry-After) and says why in /ready.
 */
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/start-collector.js';
import type { RunningCollector } from '../../src/start-collector.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { protobufBody, queryTrace } from '../support/spans.js';
import { eventually, selectAll, tableCounts } from './support.js';

const post = (collector: RunningCollector, spans: ReadableSpan[]) =>
  fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: protobufBody(spans),
  });

describe('collector on a real store', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(options: Parameters<typeof startCollector>[0]) {
    const dir = createTemporaryDirectory('aitdr-collector-');
    cleanup.push(() => dir.remove());
    const collector = await startCollector({ port: 0, stateDirectory: join(dir.path, 'spool'), ...options });
    cleanup.push(() => collector.close());
    return { collector, dir: dir.path };
  }

  it('merges late spans of a stored trace, once, keeping the query complete', async () => {
    const dir = createTemporaryDirectory('aitdr-collector-');
    cleanup.push(() => dir.remove());
    const database = join(dir.path, 'training.db');
    const collector = await startCollector({
      store: `sqlite:${database}`,
      port: 0,
      stateDirectory: join(dir.path, 'spool'),
      waitMs: 50,
    });
    cleanup.push(() => collector.close());

    const [root, classification] = queryTrace();
    const spans = [root!, classification!];
    // The root alone first: written after the wait with its query row.
    expect((await post(collector, [spans.find((s) => !s.parentSpanContext)!])).status).toBe(200);
    await eventually(() => tableCounts(database).AI_TRAINING_QUERIES === 1);
    // Then the child, late, twice (a client retry): one row.
    const late = spans.find((s) => s.parentSpanContext)!;
    expect((await post(collector, [late])).status).toBe(200);
    expect((await post(collector, [late])).status).toBe(200);
    await eventually(() => tableCounts(database).AI_QUERY_CLASSIFICATIONS === 1);
    await collector.close();
    expect(tableCounts(database).AI_QUERY_CLASSIFICATIONS).toBe(1);
    expect(selectAll(database, 'SELECT TRACE_STATUS FROM AI_TRAINING_QUERIES')).toEqual([
      { TRACE_STATUS: 'COMPLETE' },
    ]);
  });

  it('stays ready and acknowledges while the store is down and the spool has room, reporting the store in /health and /metrics', async () => {
    const { collector } = await start({
      store: 'postgres://postgres@127.0.0.1:1/nowhere',
      waitMs: 0,
      storeCheckIntervalMs: 50,
      exporter: { retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 }, breaker: { resetTimeoutMs: 60_000 } },
    });
    expect((await post(collector, queryTrace())).status).toBe(200);
    await eventually(() => collector.exporter.status().spool.traces === 1);
    const ready = await fetch(`${collector.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      checks: { keeping: { ok: true, detail: expect.stringMatching(/^store unavailable, spooling/) } },
    });
    const health = await fetch(`${collector.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      storeHealthy: false,
      checks: { store: { ok: false, detail: expect.stringMatching(/ECONNREFUSED|unavailable/) } },
    });
    expect(await (await fetch(`${collector.url}/metrics`)).text()).toMatch(
      /^aitdr_collector_store_healthy 0$/m,
    );
  });

  it('answers 503 with Retry-After once the store is down and the journal and spool are full, and /ready says why', async () => {
    const { collector } = await start({
      // Nothing listens on port 1: every connection is refused at once.
      store: 'postgres://postgres@127.0.0.1:1/nowhere',
      spoolMaxBytes: 16 * 1024,
      waitMs: 0,
      storeCheckIntervalMs: 50,
      exporter: { retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 }, breaker: { resetTimeoutMs: 60_000 } },
    });
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const response = await post(collector, queryTrace(`question ${i} ${'x'.repeat(200)}`));
      statuses.push(response.status);
      if (response.status !== 200) refused = response;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(statuses[0]).toBe(200);
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('5');
    const ready = await fetch(`${collector.url}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    // The journal fills once the writer refuses (the spool cannot take the next trace).
    expect(body.checks.journal?.ok).toBe(false);
    expect(body.checks.keeping?.detail).toMatch(/^store unavailable/);
    const health = (await (await fetch(`${collector.url}/health`)).json()) as typeof body;
    expect(health.checks.store).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/ECONNREFUSED|unavailable/),
    });
  });
});
