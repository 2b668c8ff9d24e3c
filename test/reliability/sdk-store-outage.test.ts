/**
 * An application recording in-process on PostgreSQL loses its store mid-stream: a TCP proxy cuts
 * the connections for the outage, then lets them through again. Queries recorded in async mode
 * and those refused in sync mode (STORE_UNAVAILABLE: kept on the spool) reach the tables once the
 * store is back; the recorder's status shows the breaker open, then closed, and the spool drained.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RecordingError } from '@aitdr/conventions';
import { createRecorder } from '@aitdr/sdk';
import type { Recorder } from '@aitdr/sdk';
import {
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

const OUTAGE_MS = duration(2_000, 10_000);

describe('an application recording in-process through a store outage', () => {
  const dir = createTemporaryDirectory('aitdr-sdk-outage-');
  let store: StoreUnderTest;
  let proxy: TcpProxy;
  let recorder: Recorder;

  beforeAll(async () => {
    store = await postgresStore();
    const proxied = await TcpProxy.before(store.url);
    proxy = proxied.proxy;
    recorder = await createRecorder({
      store: proxied.url,
      storeOptions: {
        stateDirectory: join(dir.path, 'state'),
        retry: { retries: 1, minDelayMs: 10, maxDelayMs: 50 },
        breaker: { resetTimeoutMs: 500 },
        replayIntervalMs: 200,
      },
    });
  });

  afterAll(async () => {
    await recorder?.shutdown();
    await proxy?.close();
    await store?.close();
    dir.remove();
  });

  it('stores every async query and every sync query it confirmed or spooled, once, and recovers', async () => {
    const asyncRecorded: string[] = [];
    const syncConfirmed: string[] = [];
    const syncRefused: string[] = [];
    const refusalCodes = new Set<string>();
    let stop = false;
    // One query every 20 ms; every third one waits for its commit (sync), the others do not.
    const app = (async () => {
      for (let n = 0; !stop; n++) {
        const mode = n % 3 === 0 ? 'sync' : 'async';
        let queryId = '';
        try {
          await recorder.recordQuery(
            { text: `question ${n}` },
            (query) => {
              queryId = query.queryId;
              query.classification({ category: 'downtime' });
            },
            { mode },
          );
          (mode === 'sync' ? syncConfirmed : asyncRecorded).push(queryId);
        } catch (error) {
          syncRefused.push(queryId);
          refusalCodes.add(error instanceof RecordingError ? error.code : String(error));
        }
        await sleep(20);
      }
    })();

    await vi.waitFor(() => expect(syncConfirmed.length).toBeGreaterThanOrEqual(5), { timeout: 20_000 });
    proxy.cut();
    const seen = { breakers: new Set<string>(), unhealthy: false };
    for (const ends = Date.now() + OUTAGE_MS; Date.now() < ends; await sleep(50)) {
      const status = recorder.status();
      seen.breakers.add(status.breaker ?? 'none');
      seen.unhealthy ||= !status.healthy;
    }
    proxy.restore();
    await vi.waitFor(() => expect(syncConfirmed.length).toBeGreaterThanOrEqual(5 + 5), { timeout: 30_000 });
    stop = true;
    await app;
    await recorder.forceFlush();

    // Open, and half-open now and then for a trial that fails while the store is still down.
    expect(seen.breakers).toContain('open');
    expect(seen.unhealthy).toBe(true);
    expect(syncRefused.length).toBeGreaterThan(0);
    expect(refusalCodes).toEqual(new Set(['STORE_UNAVAILABLE']));
    await vi.waitFor(
      () =>
        expect(recorder.status()).toMatchObject({
          healthy: true,
          breaker: 'closed',
          writer: { spool: { traces: 0 } },
        }),
      { timeout: 30_000 },
    );
    const stored = await storedTraceIds(store);
    expect(stored).toEqual(new Set([...asyncRecorded, ...syncConfirmed, ...syncRefused]));
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    const { writer, processor } = recorder.status();
    expect(writer?.counters).toMatchObject({ dropped: 0, replayed: writer?.counters.spooled });
    report('sdk-store-outage', {
      outageMs: OUTAGE_MS,
      asyncRecorded: asyncRecorded.length,
      syncConfirmed: syncConfirmed.length,
      syncRefusedAndSpooled: syncRefused.length,
      spooled: writer?.counters.spooled,
      exportFailures: processor.exportFailures,
    });
  }, 120_000);
});
