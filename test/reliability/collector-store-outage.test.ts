/**
 * The collector on PostgreSQL loses its store in the middle of steady load: a TCP proxy between
 * the collector and the server cuts every connection and refuses new ones for the outage, then
 * lets them through again. Clients keep getting 200s (the journal and the spool keep their
 * traces), the breaker opens and closes, the spool drains, and the tables hold every
 * acknowledged trace exactly once.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCollector } from '@aitdr/collector';
import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import type { RunningCollector } from '@aitdr/collector';
import { OtlpLoad } from '../support/otlp-load.js';
import {
  duplicateRows,
  duration,
  noDuplicates,
  report,
  scrapeMetrics,
  sleep,
  storedTraceIds,
} from '../support/reliability.js';
import { postgresStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const OUTAGE_MS = duration(3_000, 10_000);
const LOAD = { clients: 4, tracesPerSecond: duration(40, 60) };

describe('collector on PostgreSQL through a store outage under steady load', () => {
  const dir = createTemporaryDirectory('aitdr-outage-');
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
      waitMs: 50,
      storeCheckIntervalMs: 250,
      exporter: {
        retry: { retries: 1, minDelayMs: 20, maxDelayMs: 100 },
        breaker: { resetTimeoutMs: 1000 },
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

  it('keeps acknowledging, opens and closes the breaker, drains the spool, and stores each acknowledged trace once', async () => {
    const load = OtlpLoad.start({ url: collector.url, ...LOAD });
    await vi.waitFor(() => expect(load.acknowledged.size).toBeGreaterThanOrEqual(20), { timeout: 20_000 });
    await vi.waitFor(async () => expect(await storedTraceIds(store)).not.toHaveLength(0), {
      timeout: 20_000,
    });

    // What an operator sees during the outage, sampled from the collector's own endpoints.
    proxy.cut();
    const seen = {
      breakerOpen: false,
      notReady: false,
      storeUnhealthy: false,
      storeDetail: '',
      spoolBytes: 0,
    };
    const outageEnds = Date.now() + OUTAGE_MS;
    while (Date.now() < outageEnds) {
      const metrics = await scrapeMetrics(collector.url);
      seen.breakerOpen ||= metrics.get('aitdr_collector_breaker_state{state="open"}') === 1;
      seen.spoolBytes = Math.max(seen.spoolBytes, metrics.get('aitdr_collector_spool_bytes') ?? 0);
      // Ready throughout: the spool keeps what the store cannot take (a balancer keeps routing here).
      seen.notReady ||= (await fetch(`${collector.url}/ready`)).status !== 200;
      const health = (await (await fetch(`${collector.url}/health`)).json()) as {
        checks: { store: { ok: boolean; detail?: string } };
      };
      if (!health.checks.store.ok) {
        seen.storeUnhealthy = true;
        seen.storeDetail = health.checks.store.detail ?? '';
      }
      await sleep(200);
    }
    const acknowledgedDuringOutage = load.acknowledged.size;
    proxy.restore();
    await sleep(duration(2_000, 5_000));
    const result = await load.stop();

    expect(seen).toMatchObject({ breakerOpen: true, notReady: false, storeUnhealthy: true });
    expect(seen.storeDetail).toMatch(/store/);
    expect(seen.spoolBytes).toBeGreaterThan(0);
    // Nothing was refused: the outage is the spool's job, not the clients'.
    expect(result.uncertain.size).toBe(0);
    expect([...result.statuses.keys()]).toEqual([200]);

    // Everything acknowledged reaches the tables once the store is back.
    await vi.waitFor(
      async () => {
        const stored = await storedTraceIds(store);
        expect([...result.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
      },
      { timeout: 60_000, interval: 250 },
    );
    await vi.waitFor(
      () => expect(collector.exporter.status()).toMatchObject({ breaker: 'closed', spool: { traces: 0 } }),
      { timeout: 30_000 },
    );
    const stored = await storedTraceIds(store);
    expect(stored).toEqual(result.acknowledged);
    expect(await store.count(AI_TRAINING_QUERIES)).toBe(result.acknowledged.size);
    expect(await duplicateRows(store)).toEqual(noDuplicates());

    const metrics = await scrapeMetrics(collector.url);
    expect(metrics.get('aitdr_collector_breaker_state{state="closed"}')).toBe(1);
    expect(metrics.get('aitdr_collector_spool_bytes')).toBe(0);
    const { counters } = collector.exporter.status();
    expect(counters.spooled).toBeGreaterThan(0);
    expect(counters).toMatchObject({ replayed: counters.spooled, dropped: 0, deadLettered: 0 });
    expect((await fetch(`${collector.url}/ready`)).status).toBe(200);
    report('collector-store-outage', {
      outageMs: OUTAGE_MS,
      acknowledged: result.acknowledged.size,
      acknowledgedDuringOutage,
      spooled: counters.spooled,
      replayed: counters.replayed,
      maxSpoolBytes: seen.spoolBytes,
    });
  }, 180_000);
});
