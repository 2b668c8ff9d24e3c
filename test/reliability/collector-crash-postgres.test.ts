/**
 * The collector (its CLI, in a child process) on PostgreSQL is SIGKILLed twice while clients
 * send: once with the store up, once while the store is down and traces wait on its spool. Each
 * time it is restarted on the same spool directory. Every acknowledged trace ends up in the
 * tables exactly once. (collector/test/e2e/crash.test.ts does the same on SQLite, store up.)
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnCollector } from '../support/collector-process.js';
import type { CollectorProcess } from '../support/collector-process.js';
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

describe('collector on PostgreSQL killed mid-load', () => {
  const dir = createTemporaryDirectory('aitdr-crash-pg-');
  let store: StoreUnderTest;
  let proxy: TcpProxy;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    store = await postgresStore();
  });

  afterAll(async () => {
    collector?.child.kill('SIGKILL');
    await collector?.exited;
    await proxy?.close();
    await store?.close();
    dir.remove();
  });

  it('keeps every acknowledged trace, exactly once, across a SIGKILL with the store up and one with it down', async () => {
    const proxied = await TcpProxy.before(store.url);
    proxy = proxied.proxy;
    const args = ['--store', proxied.url, '--state-dir', join(dir.path, 'spool'), '--wait-ms', '50'];
    let running = await spawnCollector(args);
    collector = running;
    const load = OtlpLoad.start({
      url: () => running.url,
      clients: 4,
      tracesPerSecond: duration(40, 60),
      requestTimeoutMs: 5_000,
    });
    const restart = async () => {
      running.child.kill('SIGKILL');
      expect(await running.exited).toBe('SIGKILL');
      running = await spawnCollector(args);
      collector = running;
    };

    // Kill 1: the store is up, traces are being written.
    await vi.waitFor(() => expect(load.acknowledged.size).toBeGreaterThanOrEqual(40), { timeout: 30_000 });
    await restart();

    // Kill 2: the store is down and the collector has spooled traces it acknowledged.
    await vi.waitFor(() => expect(load.acknowledged.size).toBeGreaterThanOrEqual(80), { timeout: 30_000 });
    proxy.cut();
    await vi.waitFor(
      async () =>
        expect(
          (await scrapeMetrics(running.url)).get('aitdr_collector_traces_spooled_total'),
        ).toBeGreaterThan(10),
      { timeout: 30_000, interval: 100 },
    );
    await restart();
    await sleep(duration(1_000, 5_000));
    proxy.restore();

    const after = load.acknowledged.size;
    await vi.waitFor(() => expect(load.acknowledged.size).toBeGreaterThanOrEqual(after + 40), {
      timeout: 30_000,
    });
    const result = await load.stop();

    await vi.waitFor(
      async () => {
        const stored = await storedTraceIds(store);
        expect([...result.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
      },
      { timeout: 60_000, interval: 250 },
    );
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);

    const stored = await storedTraceIds(store);
    const sentWithoutAnswer = [...stored].filter((id) => !result.acknowledged.has(id));
    expect(sentWithoutAnswer.every((id) => result.uncertain.has(id))).toBe(true);
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    report('collector-crash-postgres', {
      acknowledged: result.acknowledged.size,
      unanswered: result.uncertain.size,
      storedOfUnanswered: sentWithoutAnswer.length,
    });
  }, 240_000);
});
