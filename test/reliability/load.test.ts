/**
 * Steady load on the collector (its CLI, on PostgreSQL) from several client processes, each an
 * application recording whole pipelines with the SDK and sending them with the official
 * OTLP/HTTP protobuf exporter, at a rate well within capacity. Every acknowledged trace is stored
 * exactly once; the acknowledgement latency percentiles are reported (docs/reliability.md has the
 * long run's).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnTs } from '../support/child-process.js';
import type { TsProcess } from '../support/child-process.js';
import { spawnCollector } from '../support/collector-process.js';
import type { CollectorProcess } from '../support/collector-process.js';
import {
  duplicateRows,
  duration,
  noDuplicates,
  percentile,
  report,
  storedTraceIds,
} from '../support/reliability.js';
import { postgresStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const CLIENT = fileURLToPath(new URL('../support/load-client.ts', import.meta.url));
const CLIENTS = 3;
const QUERIES_PER_SECOND_PER_CLIENT = 15;
const DURATION_MS = duration(10_000, 60_000);

interface ClientResult {
  readonly queries: number;
  readonly acknowledged: string[];
  readonly failed: string[];
  readonly latenciesMs: number[];
}

describe('collector under steady load from several client processes', () => {
  const dir = createTemporaryDirectory('aitdr-load-');
  let store: StoreUnderTest;
  let collector: CollectorProcess;
  const clients: TsProcess[] = [];

  beforeAll(async () => {
    store = await postgresStore();
    collector = await spawnCollector(['--store', store.url, '--state-dir', join(dir.path, 'spool')]);
  });

  afterAll(async () => {
    for (const client of clients) client.child.kill('SIGKILL');
    collector?.child.kill('SIGKILL');
    await collector?.exited;
    await store?.close();
    dir.remove();
  });

  it('stores every acknowledged trace exactly once and reports the acknowledgement latency', async () => {
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(
        spawnTs(CLIENT, {
          env: {
            COLLECTOR_URL: collector.url,
            QUERIES_PER_SECOND: String(QUERIES_PER_SECOND_PER_CLIENT),
            DURATION_MS: String(DURATION_MS),
          },
        }),
      );
    }
    const results = await Promise.all(
      clients.map(async (client) => {
        const line = await client.line((entry) => 'acknowledged' in entry);
        expect(await client.exited, client.stderr()).toBe(0);
        return line as unknown as ClientResult;
      }),
    );
    const acknowledged = new Set(results.flatMap((r) => r.acknowledged));
    const failed = new Set(results.flatMap((r) => r.failed));
    const latencies = results.flatMap((r) => r.latenciesMs);
    const queries = results.reduce((sum, r) => sum + r.queries, 0);

    const stored = async () =>
      new Set([
        ...(await storedTraceIds(store)),
        ...(await store.column('SELECT FEEDBACK_TRACE_ID FROM AI_USER_FEEDBACK')).map(String),
      ]);
    await vi.waitFor(
      async () => {
        const now = await stored();
        expect([...acknowledged].filter((id) => !now.has(id))).toEqual([]);
      },
      { timeout: 60_000, interval: 500 },
    );
    const all = await stored();
    // Stored: what was acknowledged, and perhaps what failed after the collector had kept it.
    expect([...all].filter((id) => !acknowledged.has(id) && !failed.has(id))).toEqual([]);
    expect(await duplicateRows(store)).toEqual(noDuplicates());
    expect(acknowledged.size).toBeGreaterThan(queries); // queries and their feedback

    const figures = {
      clients: CLIENTS,
      durationMs: DURATION_MS,
      queries,
      queriesPerSecond: Math.round(queries / (DURATION_MS / 1000)),
      tracesAcknowledged: acknowledged.size,
      tracesFailed: failed.size,
      exportCalls: latencies.length,
      latencyMs: Object.fromEntries(
        ([50, 95, 99, 100] as const).map((p) => [
          p === 100 ? 'max' : `p${p}`,
          Math.round(percentile(latencies, p) * 10) / 10,
        ]),
      ),
    };
    report('load', figures);
    expect(latencies.length).toBeGreaterThan(0);
  }, 300_000);
});
