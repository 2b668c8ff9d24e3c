/**
 * The store is down long enough for the collector's spool and journal (a small cap here) to fill:
 * it answers 503 with Retry-After rather than acknowledging what it cannot keep, keeps every trace
 * it did acknowledge (retrying the writer's refusals), and reports no trace lost. Once the store
 * is back, stored = acknowledged.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { OtlpLoad } from '../support/otlp-load.js';
import {
  duplicateRows,
  noDuplicates,
  report,
  scrapeMetrics,
  storedTraceIds,
} from '../support/reliability.js';
import { postgresStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

describe('collector whose spool fills while the store is down', () => {
  const dir = createTemporaryDirectory('aitdr-spool-full-');
  let store: StoreUnderTest;
  let proxy: TcpProxy;
  let collector: RunningCollector;

  beforeAll(async () => {
    store = await postgresStore();
    const proxied = await TcpProxy.before(store.url);
    proxy = proxied.proxy;
    collector = await startCollector({
      store: proxied.url,
      port: 0,
      stateDirectory: join(dir.path, 'spool'),
      spoolMaxBytes: 64 * 1024,
      waitMs: 50,
      storeCheckIntervalMs: 200,
      exporter: {
        retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 },
        breaker: { resetTimeoutMs: 500 },
        replayIntervalMs: 200,
      },
    });
  });

  afterAll(async () => {
    await collector?.close();
    await proxy?.close();
    await store?.close();
    dir.remove();
  });

  it('answers 503 once it cannot keep more, loses none of what it acknowledged, and reports nothing lost', async () => {
    proxy.cut();
    const load = OtlpLoad.start({ url: collector.url, clients: 2, tracesPerSecond: 40 });
    await vi.waitFor(() => expect(load.count(503)).toBeGreaterThanOrEqual(5), { timeout: 30_000 });
    const whileFull = await scrapeMetrics(collector.url);
    const ready = await fetch(`${collector.url}/ready`);
    const result = await load.stop();
    proxy.restore();

    expect([...result.retryAfter]).toEqual(['5']);
    expect(result.uncertain.size).toBe(0);
    expect(ready.status).toBe(503);
    // The writer refused traces (its spool was full), the collector kept them: none lost.
    expect(collector.exporter.status().counters.dropped).toBeGreaterThan(0);
    expect(whileFull.get('aitdr_collector_traces_dropped_by_writer_total')).toBeGreaterThan(0);

    await vi.waitFor(
      async () => {
        const stored = await storedTraceIds(store);
        expect([...result.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(await storedTraceIds(store)).toEqual(result.acknowledged);
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    report('collector-spool-full', {
      acknowledged: result.acknowledged.size,
      refused503: result.count(503),
      writerRefusals: collector.exporter.status().counters.dropped,
    });
  }, 120_000);
});
