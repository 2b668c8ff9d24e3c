/**
 * A slow store behind the collector: every batch the exporter writes to PostgreSQL waits on a
 * trigger that sleeps (as lock contention or an overloaded server would make it), while clients
 * send more than it can write. The collector answers 429 with Retry-After once its bound on what
 * is being written (spans, traces) is reached, instead of holding ever more in memory; what it
 * acknowledged is stored once the store is fast again.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { AI_TRAINING_QUERIES, schemaInstallStatements } from '@aitdr/schema';
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
import { createTemporaryDirectory } from '../support/temp-dir.js';

const BATCH_SECONDS = 1.5;
const MAX_PENDING_TRACES = 100;
/** Below the spans of MAX_PENDING_TRACES traces (two spans each), so this bound is met first. */
const MAX_HELD_SPANS = 150;
const SLOW_MS = duration(8_000, 30_000);

describe('collector in front of a slow store', () => {
  const dir = createTemporaryDirectory('aitdr-slow-');
  let store: StoreUnderTest;
  let admin: pg.Client;
  let collector: RunningCollector;

  beforeAll(async () => {
    store = await postgresStore();
    admin = new pg.Client({ connectionString: store.url });
    await admin.connect();
    for (const statement of schemaInstallStatements('postgres')) await admin.query(statement);
    // One sleep per INSERT statement into the query table: about one per batch the exporter writes.
    await admin.query(`CREATE TABLE SLOW_STORE (SECONDS DOUBLE PRECISION NOT NULL)`);
    await admin.query(`INSERT INTO SLOW_STORE VALUES (${BATCH_SECONDS})`);
    await admin.query(`CREATE FUNCTION SLOW_STORE() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep((SELECT SECONDS FROM SLOW_STORE)); RETURN NULL; END $$`);
    await admin.query(`CREATE TRIGGER SLOW_STORE BEFORE INSERT ON ${AI_TRAINING_QUERIES.name}
      FOR EACH STATEMENT EXECUTE FUNCTION SLOW_STORE()`);
    collector = await startCollector({
      store: store.url,
      port: 0,
      stateDirectory: join(dir.path, 'spool'),
      waitMs: 50,
      maxPendingTraces: MAX_PENDING_TRACES,
      maxHeldSpans: MAX_HELD_SPANS,
      exporter: { batchSize: 8 },
    });
  });

  afterAll(async () => {
    await admin?.query(`UPDATE SLOW_STORE SET SECONDS = 0`).catch(() => undefined);
    await collector?.close();
    await admin?.end();
    await store?.close();
    dir.remove();
  });

  it('answers 429 with Retry-After at its bounds, keeps its gauges under them, and stores what it acknowledged', async () => {
    const load = OtlpLoad.start({ url: collector.url, clients: 4, tracesPerSecond: 40 });
    const peak = { pending: 0, heldSpans: 0, pendingSpans: 0, heapMiB: 0 };
    for (const ends = Date.now() + SLOW_MS; Date.now() < ends; await sleep(100)) {
      const metrics = await scrapeMetrics(collector.url);
      peak.pending = Math.max(peak.pending, metrics.get('aitdr_collector_pending_traces') ?? 0);
      peak.heldSpans = Math.max(peak.heldSpans, metrics.get('aitdr_collector_held_spans') ?? 0);
      peak.pendingSpans = Math.max(peak.pendingSpans, metrics.get('aitdr_collector_pending_spans') ?? 0);
      peak.heapMiB = Math.max(peak.heapMiB, process.memoryUsage().heapUsed / 2 ** 20);
    }
    const result = await load.stop();
    await admin.query(`UPDATE SLOW_STORE SET SECONDS = 0`);

    expect(result.count(429)).toBeGreaterThan(0);
    expect([...result.retryAfter]).toEqual(['5']);
    expect([...result.statuses.keys()].sort()).toEqual([200, 429]);
    expect(result.uncertain.size).toBe(0);
    // The bounds are checked before a request is journaled; traces that were already held when
    // one was reached (a few, with a 50 ms wait) may still go on to be written.
    expect(peak.pendingSpans).toBeGreaterThanOrEqual(MAX_HELD_SPANS - 20);
    expect(peak.pendingSpans).toBeLessThanOrEqual(MAX_HELD_SPANS + 20);
    expect(peak.pending).toBeLessThanOrEqual(MAX_PENDING_TRACES);
    expect(peak.heldSpans).toBeLessThanOrEqual(MAX_HELD_SPANS);

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
    report('collector-slow-store', {
      slowMs: SLOW_MS,
      batchSeconds: BATCH_SECONDS,
      acknowledged: result.acknowledged.size,
      refused429: result.count(429),
      peakPendingTraces: peak.pending,
      peakHeldSpans: peak.heldSpans,
      peakPendingSpans: peak.pendingSpans,
      peakTestProcessHeapMiB: Math.round(peak.heapMiB),
    });
  }, 180_000);
});
