/**
 * A flaky PostgreSQL link behind the collector: for a while a TCP proxy breaks 70% of the
 * transactions, at their first statement, before their COMMIT or after it (the server committed,
 * the collector never heard). Retries, the spool and idempotent writes must leave every
 * acknowledged trace in the tables exactly once.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { createRng } from '@aitdr/demo';
import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import { OtlpLoad } from '../support/otlp-load.js';
import {
  SEED,
  duplicateRows,
  duration,
  noDuplicates,
  report,
  sleep,
  storedTraceIds,
} from '../support/reliability.js';
import { postgresStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const FAILING_SHARE = 0.7;
/** The flaky period lasts until each kind of fault happened this often (or the time below passed). */
const FAULTS_OF_EACH_KIND = duration(5, 20);
const FLAKY_AT_MOST_MS = duration(20_000, 60_000);

describe('collector on a flaky PostgreSQL link', () => {
  const dir = createTemporaryDirectory('aitdr-flaky-');
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
      exporter: {
        batchSize: 8,
        retry: { retries: 3, minDelayMs: 10, maxDelayMs: 100 },
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

  it('stores every acknowledged trace exactly once while 70% of transactions fail', async () => {
    const load = OtlpLoad.start({ url: collector.url, clients: 4, tracesPerSecond: 40 });
    await vi.waitFor(async () => expect(await storedTraceIds(store)).not.toHaveLength(0), {
      timeout: 20_000,
    });

    const rng = createRng(`${SEED}/flaky-store`);
    proxy.flake({ probability: FAILING_SHARE, random: () => rng.next() });
    const flakyUntil = Date.now() + FLAKY_AT_MOST_MS;
    while (Date.now() < flakyUntil && Object.values(proxy.faults).some((n) => n < FAULTS_OF_EACH_KIND))
      await sleep(100);
    proxy.steady();
    await sleep(1_000);
    const result = await load.stop();

    // The faults happened, of every kind, and the writer retried through them.
    expect(Object.values(proxy.faults).every((n) => n >= FAULTS_OF_EACH_KIND)).toBe(true);
    expect(collector.exporter.status().counters.retried).toBeGreaterThan(0);
    expect(result.uncertain.size).toBe(0);
    expect([...result.statuses.keys()]).toEqual([200]);

    await vi.waitFor(
      async () => {
        const stored = await storedTraceIds(store);
        expect([...result.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(await storedTraceIds(store)).toEqual(result.acknowledged);
    expect(await store.count(AI_TRAINING_QUERIES)).toBe(result.acknowledged.size);
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    const { counters } = collector.exporter.status();
    expect(counters).toMatchObject({ dropped: 0, deadLettered: 0 });
    report('collector-flaky-store', {
      acknowledged: result.acknowledged.size,
      transactionsWhileFlaky: proxy.transactions,
      faults: proxy.faults,
      retried: counters.retried,
      spooled: counters.spooled,
    });
  }, 180_000);
});
