/**
 * An application recording in-process (the table exporter with its on-disk spool) is SIGKILLed
 * and restarted on the same spool directory, as a supervisor would restart it: from a fresh
 * working directory each time, with AITDR_STATE_DIR naming the state directory.
 * - sync mode: every query the app was told was recorded is stored; so is every query refused
 *   with STORE_UNAVAILABLE (the refusal says "kept on the spool, not committed yet");
 * - async mode, store down: what a forceFlush put on the spool is replayed after the restart.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTs } from '../support/child-process.js';
import type { TsProcess } from '../support/child-process.js';
import { duplicateRows, noDuplicates, report, storedTraceIds } from '../support/reliability.js';
import { postgresStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const APP = fileURLToPath(new URL('../support/recording-app.ts', import.meta.url));

describe('an application recording in-process, killed and restarted on its spool', () => {
  const dir = createTemporaryDirectory('aitdr-sdk-crash-');
  const workingDirectories: { remove(): void }[] = [];
  let store: StoreUnderTest;
  let proxy: TcpProxy;
  let storeUrl: string;
  let app: TsProcess | undefined;

  beforeAll(async () => {
    store = await postgresStore();
    ({ proxy, url: storeUrl } = await TcpProxy.before(store.url));
  });

  afterAll(async () => {
    app?.child.kill('SIGKILL');
    await app?.exited;
    await proxy?.close();
    await store?.close();
    for (const workingDirectory of workingDirectories) workingDirectory.remove();
    dir.remove();
  });

  const start = (env: Record<string, string>) => {
    const workingDirectory = createTemporaryDirectory('aitdr-app-cwd-');
    workingDirectories.push(workingDirectory);
    app = spawnTs(APP, {
      cwd: workingDirectory.path,
      env: { AITDR_STORE: storeUrl, AITDR_STATE_DIR: join(dir.path, 'spool'), ...env },
    });
    return app;
  };
  const kill = async (running: TsProcess) => {
    running.child.kill('SIGKILL');
    expect(await running.exited).toBe('SIGKILL');
  };
  const count = (running: TsProcess, key: string) => running.lines.filter((line) => key in line).length;
  const ids = (running: TsProcess, key: string) =>
    running.lines.flatMap((line) => (typeof line[key] === 'string' ? [line[key]] : []));

  it('stores what sync mode confirmed or spooled, and what async mode flushed to the spool', async () => {
    // Sync, store up, then down: confirmed writes, then refusals that keep the trace on the spool.
    const sync = start({ AITDR_RECORDING_MODE: 'sync', APP_PHASE: 'record' });
    await sync.line(() => count(sync, 'recorded') >= 15);
    proxy.cut();
    await sync.line(() => count(sync, 'failed') >= 5);
    await kill(sync);
    const confirmed = ids(sync, 'recorded');
    const refused = sync.lines.filter((line) => 'failed' in line);
    expect(new Set(refused.map((line) => line.code))).toEqual(new Set(['STORE_UNAVAILABLE']));

    // Async, store still down: a flush puts the traces on the spool; more are under way at the kill.
    const async = start({ AITDR_RECORDING_MODE: 'async', APP_PHASE: 'record', APP_FLUSH_AFTER: '20' });
    const flush = await async.line((line) => 'flushed' in line);
    await async.line(() => count(async, 'recorded') >= 30);
    await kill(async);
    const flushed = flush.flushed as string[];
    expect(flush.spool).toBeGreaterThanOrEqual(flushed.length);

    // The store is back; the app starts again (elsewhere) and replays its spool.
    proxy.restore();
    const drain = start({ APP_PHASE: 'drain' });
    expect(await drain.exited, drain.stderr()).toBe(0);

    const stored = await storedTraceIds(store);
    const missing = (wanted: readonly string[]) => wanted.filter((id) => !stored.has(id));
    expect(missing(confirmed)).toEqual([]);
    expect(missing(refused.map((line) => String(line.failed)))).toEqual([]);
    expect(missing(flushed)).toEqual([]);
    const started = new Set([
      ...confirmed,
      ...refused.map((l) => String(l.failed)),
      ...ids(async, 'recorded'),
    ]);
    expect([...stored].filter((id) => !started.has(id))).toEqual([]);
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    report('sdk-crash', {
      syncConfirmed: confirmed.length,
      syncRefusedAndSpooled: refused.length,
      asyncFlushed: flushed.length,
      asyncRecordedBeforeKill: count(async, 'recorded'),
      stored: stored.size,
    });
  }, 180_000);
});
