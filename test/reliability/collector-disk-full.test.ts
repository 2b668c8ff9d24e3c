/**
 * The disk under the collector's journal fills up (another process writes it full) while clients
 * send, then frees up. While it is full the collector must not acknowledge what it cannot keep:
 * 503 with Retry-After, /ready failing with the reason, the reason in its log. After, it
 * acknowledges again, and every trace it acknowledged is stored once, also across a restart.
 *
 * A full disk needs a small filesystem of its own: a tmpfs, which only root can mount. Elsewhere
 * the test is skipped (and says so).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
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
  sleep,
  storedTraceIds,
} from '../support/reliability.js';
import { sqliteStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const DISK_BYTES = 4 * 1024 * 1024;
const FULL_MS = duration(2_000, 10_000);

function mountTmpfs(path: string): boolean {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', path], { stdio: 'pipe' });
    return true;
  } catch (error) {
    console.warn(`[reliability] disk-full test skipped: cannot mount a tmpfs (${(error as Error).message})`);
    return false;
  }
}

/** Writes a file until the filesystem refuses with ENOSPC; returns how many bytes it took. */
function fillDisk(path: string): number {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}

const dir = createTemporaryDirectory('aitdr-disk-');
const disk = join(dir.path, 'disk');
const mounted = mountTmpfs(disk);

describe.skipIf(!mounted)('collector whose journal disk fills up', () => {
  let store: StoreUnderTest;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    store = await sqliteStore();
  });

  afterAll(async () => {
    collector?.child.kill('SIGKILL');
    await collector?.exited;
    await store?.close();
    execFileSync('umount', ['--lazy', disk]);
    dir.remove();
  });

  it('answers 503 rather than acknowledging what it cannot keep, says why, and recovers', async () => {
    const args = ['--store', store.url, '--state-dir', join(disk, 'spool'), '--wait-ms', '50'];
    let running = await spawnCollector(args);
    collector = running;
    const load = OtlpLoad.start({ url: () => running.url, clients: 4, tracesPerSecond: 40 });
    await vi.waitFor(() => expect(load.acknowledged.size).toBeGreaterThanOrEqual(20), { timeout: 20_000 });

    const filler = join(disk, 'filler');
    const filled = fillDisk(filler);
    await vi.waitFor(() => expect(load.count(503)).toBeGreaterThan(0), { timeout: 20_000 });
    const ready = await fetch(`${running.url}/ready`);
    const readiness = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    await sleep(FULL_MS);
    const acknowledgedWhileFull = load.acknowledged.size;
    rmSync(filler);
    await vi.waitFor(() => expect(load.acknowledged.size).toBeGreaterThan(acknowledgedWhileFull + 20), {
      timeout: 30_000,
    });
    const result = await load.stop();

    expect(ready.status).toBe(503);
    expect(readiness.checks.journal).toMatchObject({ ok: false, detail: expect.stringMatching(/ENOSPC/) });
    expect([...result.retryAfter]).toEqual(['5']);
    expect(result.uncertain.size).toBe(0);
    // The reason is logged as an error when the journal starts refusing, not once per request.
    const errors = running.logs.filter((entry) => Number(entry.level) >= 50);
    expect(errors.map((entry) => entry.msg)).toContainEqual(
      expect.stringMatching(/refusing requests: ENOSPC/),
    );
    expect(errors.length).toBeLessThan(result.count(503));
    expect(running.logs.map((entry) => entry.msg)).toContain('intake journal: accepting requests again');

    // Every acknowledged trace is stored; a clean restart on the same journal changes nothing.
    await vi.waitFor(
      async () => {
        const stored = await storedTraceIds(store);
        expect([...result.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
      },
      { timeout: 30_000, interval: 250 },
    );
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = await spawnCollector(args);
    collector = running;
    await sleep(500);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(await storedTraceIds(store)).toEqual(result.acknowledged);
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    report('collector-disk-full', {
      fullMs: FULL_MS,
      fillerBytes: filled,
      acknowledged: result.acknowledged.size,
      refused503: result.count(503),
      readyDetail: readiness.checks.journal?.detail,
      errorLogLines: errors.length,
    });
  }, 180_000);
});
