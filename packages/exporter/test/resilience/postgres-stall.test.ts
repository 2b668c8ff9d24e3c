/**
 * PostgreSQL accepting connections but answering nothing (a TCP proxy that swallows every byte):
 * the statement timeout, set through AITDR_STORE_STATEMENT_TIMEOUT_MS, turns the stall into a
 * transient failure: retried, spooled, counted by the breaker, replayed once the server answers.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import { STORE_STATEMENT_TIMEOUT_VARIABLE, parseStoreUrl } from '@aitdr/exporter';
import type { PostgresStoreOptions, TableExporter } from '@aitdr/exporter';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import type { TcpProxy } from '@aitdr/tests/support/tcp-proxy.js';
import { exporterBehindProxy } from '../support/exporter-behind-proxy.js';
import type { ExporterBehindProxy } from '../support/exporter-behind-proxy.js';
import { recordPipeline } from '../support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

describe('TableExporter on a stalled PostgreSQL', () => {
  let store: StoreUnderTest;
  let proxy: TcpProxy;
  let exporter: TableExporter;
  let proxied: ExporterBehindProxy | undefined;

  beforeAll(async () => {
    proxied = await exporterBehindProxy('aitdr-stall-', (url) => {
      const options = parseStoreUrl(url, { [STORE_STATEMENT_TIMEOUT_VARIABLE]: '300' });
      expect(options).toMatchObject({ statementTimeoutMs: 300 });
      return {
        store: { ...(options as PostgresStoreOptions), connectTimeoutMs: 300 },
        batchSize: 1,
        retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 },
        breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 500 },
        replayIntervalMs: 100,
      };
    });
    ({ store, proxy, exporter } = proxied);
  });

  afterAll(() => proxied?.close());

  it('spools what it cannot write, opens the breaker, and replays once the server answers', async () => {
    const first = await exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), {
      require: 'committed',
    });
    expect(first.committed).toBe(1); // the pool holds a live connection now

    proxy.stall();
    const stalled = await Promise.all(
      [1, 2].map(() =>
        exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'accepted' }),
      ),
    );
    // Resolved once spooled: each in about a second here, where a stalled statement used to hold
    // the write lane for 31 s (its ROLLBACK as long again).
    expect(stalled.reduce((sum, r) => sum + r.spooled, 0)).toBe(2);
    const down = exporter.status();
    expect(down.breaker).toBe('open');
    expect(down.counters.retried).toBeGreaterThan(0);
    expect(down.lastError?.message).toMatch(/timeout/i);

    proxy.restore();
    await vi.waitFor(
      () => {
        const { spool, breaker } = exporter.status();
        expect({ spool: spool.traces, breaker }).toEqual({ spool: 0, breaker: 'closed' });
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(await store.count(AI_TRAINING_QUERIES)).toBe(3);
  }, 60_000);
});
