/**
 * A PostgreSQL outage in the middle of a stream of traces: a TCP proxy between the exporter and
 * the server cuts every connection partway through a batch and refuses new ones; the breaker
 * opens, the spool fills, the proxy comes back, the spool is replayed, and the tables hold
 * exactly what was sent. The outage lasts as long as the writes take (well under a second here).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '@aitdr/conventions';
import { AI_MODEL_INTERACTIONS, AI_TRAINING_QUERIES, TABLES } from '@aitdr/schema';
import { TableExporter } from '@aitdr/exporter';
import type { TraceWriteResult } from '@aitdr/conventions';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import type { TemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import { TcpProxy } from '@aitdr/tests/support/tcp-proxy.js';
import { exporterBehindProxy } from '../support/exporter-behind-proxy.js';
import type { ExporterBehindProxy } from '../support/exporter-behind-proxy.js';
import { recordPipeline } from '../support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

describe('TableExporter through a PostgreSQL outage', () => {
  let store: StoreUnderTest;
  let proxy: TcpProxy;
  let exporter: TableExporter;
  let proxied: ExporterBehindProxy | undefined;
  let sent = 0;

  const writeEach = (count: number, require: 'accepted' | 'committed' = 'accepted') =>
    Promise.all(
      Array.from({ length: count }, () => {
        sent += 1;
        return exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require });
      }),
    );
  const total = (results: TraceWriteResult[], key: keyof TraceWriteResult) =>
    results.reduce((sum, r) => sum + r[key], 0);

  beforeAll(async () => {
    proxied = await exporterBehindProxy('aitdr-outage-', (url) => ({
      store: {
        dialect: 'postgres',
        connectionString: url,
        connectTimeoutMs: 1000,
        statementTimeoutMs: 5000,
      },
      batchSize: 4,
      retry: { retries: 1, minDelayMs: 10, maxDelayMs: 20 },
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 1000 },
      replayIntervalMs: 100,
    }));
    ({ store, proxy, exporter } = proxied);
  });

  afterAll(() => proxied?.close());

  it('opens the breaker, spools, replays once the store is back, and stores each trace once', async () => {
    // Before: the store works.
    const before = await exporter.writeTraces(
      [...recordPipeline().spans, ...recordPipeline().spans].map(toSpanRecord),
      {
        require: 'committed',
      },
    );
    sent += 2;
    expect(before.committed).toBe(2);

    // The connection is cut partway into the next batch's statements (about 3 kB in), then refused.
    const cut = proxy.cutAfter(3_000);
    const during = await writeEach(40);
    await cut;
    expect(total(during, 'committed') + total(during, 'spooled')).toBe(40);
    expect(total(during, 'spooled')).toBeGreaterThan(0);

    const down = exporter.status();
    // Tripped: 'half-open' once resetTimeoutMs (1 s) has passed, which a slow machine reaches
    // while the 40 writes are still spooling; the trial then fails against the refusing proxy.
    expect(['open', 'half-open']).toContain(down.breaker);
    expect(down.healthy).toBe(false);
    expect(down.spool.traces).toBe(total(during, 'spooled'));
    expect(down.spool.bytes).toBeGreaterThan(0);
    expect(down.counters.retried).toBeGreaterThan(0);
    expect(down.lastError?.message).toMatch(/store/);
    expect(proxy.refused).toBeGreaterThan(0);

    // A write that needs a commit is refused while the store is down, and its trace kept.
    const committedWhileDown = writeEach(1, 'committed');
    await expect(committedWhileDown).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(exporter.status().spool.traces).toBe(total(during, 'spooled') + 1);

    // The store comes back: the breaker half-opens, a replay batch is the trial, the rest follows.
    proxy.restore();
    await vi.waitFor(
      () => {
        const { spool, breaker } = exporter.status();
        expect({ spool: spool.traces, breaker }).toEqual({ spool: 0, breaker: 'closed' });
      },
      { timeout: 15_000, interval: 50 },
    );
    const after = await writeEach(3, 'committed');
    expect(total(after, 'committed')).toBe(3);

    const status = exporter.status();
    expect(status.healthy).toBe(true);
    expect(status.counters).toMatchObject({ dropped: 0, deadLettered: 0, parked: 0 });
    expect(status.counters.replayed).toBe(status.counters.spooled);
    expect(await store.count(AI_TRAINING_QUERIES)).toBe(sent);
    expect(await store.count(AI_MODEL_INTERACTIONS)).toBe(2 * sent);
    for (const table of TABLES) {
      const duplicates = await store.scalar(
        `SELECT COUNT(*) - COUNT(DISTINCT (${table.primaryKey.join(', ')})) FROM ${table.name}`,
      );
      expect(Number(duplicates), table.name).toBe(0);
    }
    const incomplete = await store.scalar(
      `SELECT COUNT(*) FROM AI_TRAINING_QUERIES WHERE TRACE_STATUS <> 'COMPLETE'`,
    );
    expect(Number(incomplete)).toBe(0);
  });
});

describe('TableExporter with PostgreSQL down from the start', () => {
  let database: TemporaryDatabase;
  let proxy: TcpProxy;
  let dir: { path: string; remove(): void };

  beforeAll(async () => {
    database = await createTemporaryDatabase('aitdr_exporter_down');
    const target = new URL(database.url);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    proxy.cut();
    dir = createTemporaryDirectory('aitdr-down-');
  });

  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
    dir?.remove();
  });

  it('is created without connecting, then installs the schema and replays when the server appears', async () => {
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const exporter = new TableExporter({
      store: url.toString(),
      stateDirectory: dir.path,
      retry: { retries: 0, minDelayMs: 1 },
      breaker: { resetTimeoutMs: 200 },
      replayIntervalMs: 100,
    });
    try {
      expect(exporter.status()).toMatchObject({ healthy: true, breaker: 'closed' });
      const first = await exporter.writeTraces(recordPipeline().spans.map(toSpanRecord));
      expect(first).toMatchObject({ committed: 0, spooled: 1 });
      expect(exporter.status().healthy).toBe(false);
      proxy.restore();
      await vi.waitFor(() => expect(exporter.status().spool.traces).toBe(0), {
        timeout: 15_000,
        interval: 50,
      });
      expect(exporter.status().counters).toMatchObject({ spooled: 1, replayed: 1, written: 1 });
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>(
          'SELECT COUNT(*)::int AS n FROM AI_MODEL_INTERACTIONS',
        );
        expect(rows).toEqual([{ n: 2 }]);
      } finally {
        await client.end();
      }
    } finally {
      await exporter.shutdown();
    }
  });
});

describe('A committed write while the store is down, in a program with nothing else to do', () => {
  const dir = createTemporaryDirectory('aitdr-down-alone-');
  afterAll(() => dir.remove());

  it('is answered STORE_UNAVAILABLE with the trace spooled, rather than the program exiting mid-retry', () => {
    const script = fileURLToPath(new URL('../support/committed-write-while-down.ts', import.meta.url));
    const run = spawnSync(
      process.execPath,
      ['--conditions=aitdr-source', '--import', 'tsx', script, dir.path],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ outcome: 'STORE_UNAVAILABLE', spooled: 1 });
  });
});
