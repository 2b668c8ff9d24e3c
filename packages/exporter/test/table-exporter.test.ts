/**
 * The exporter's lifecycle on SQLite: creation without a reachable store, the SpanExporter
 * callback, a spool left by an earlier run, a full spool, the bounded queue, shutdown.
 * "Store down" is a SQLite file in a directory that does not exist (yet).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { RecordingError, SpoolFullError, StoreUnavailableError } from '@aitdr/conventions';
import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import { TableExporter, createTableExporter } from '@aitdr/exporter';
import type { TableExporterOptions } from '@aitdr/exporter';
import Database from 'better-sqlite3';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordPipeline } from './support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

describe('TableExporter', () => {
  let dir: { path: string; remove(): void };
  const exporters: TableExporter[] = [];
  let missingDirectory: string;
  let databaseFile: string;

  beforeEach(() => {
    dir = createTemporaryDirectory('aitdr-exporter-');
    missingDirectory = join(dir.path, 'not-yet');
    databaseFile = join(missingDirectory, 'training.db');
  });
  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
    dir.remove();
  });

  const create = (options: Partial<TableExporterOptions> = {}) => {
    const exporter = createTableExporter({
      store: `sqlite:${databaseFile}`,
      stateDirectory: join(dir.path, 'state'),
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
      breaker: { resetTimeoutMs: 50 },
      replayIntervalMs: 600_000,
      ...options,
    });
    exporters.push(exporter);
    return exporter;
  };
  const exportSpans = (exporter: TableExporter, spans: ReturnType<typeof recordPipeline>['spans']) =>
    new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  const storedQueries = () => {
    const db = new Database(databaseFile, { readonly: true });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM ${AI_TRAINING_QUERIES.name}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('is created without reaching the store, and keeps traces on the spool while it is down', async () => {
    const exporter = create();
    expect(exporter.status()).toMatchObject({ healthy: true, breaker: 'closed', spool: { traces: 0 } });
    await expect(exporter.writeTraces(recordPipeline().spans.map(toSpanRecord))).resolves.toEqual({
      committed: 0,
      spooled: 1,
      parked: 0,
      deadLettered: 0,
    });
    const committed = exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), {
      require: 'committed',
    });
    await expect(committed).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(committed).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    const status = exporter.status();
    expect(status).toMatchObject({ healthy: false, spool: { traces: 2 } });
    expect(status.spool.bytes).toBeGreaterThan(0);
    expect(status.lastError?.message).toMatch(/Cannot open database/);
    expect(status.counters).toMatchObject({ received: 2, spooled: 2, written: 0, dropped: 0 });

    // The directory appears: once the breaker lets a trial through, the spool is replayed in order.
    expect(status.breaker).not.toBe('closed'); // open, or half-open already on a loaded machine (50 ms)
    mkdirSync(missingDirectory);
    await vi.waitFor(
      async () => {
        await exporter.forceFlush();
        expect(exporter.status()).toMatchObject({
          healthy: true,
          breaker: 'closed',
          spool: { traces: 0, bytes: 0 },
        });
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(exporter.status().counters).toMatchObject({ replayed: 2, written: 2 });
    expect(storedQueries()).toBe(2);
  });

  it('checks the store on demand for readiness: unhealthy while it is down, healthy once it is up', async () => {
    const exporter = create();
    expect(await exporter.checkStore()).toBe(false);
    expect(exporter.status()).toMatchObject({
      healthy: false,
      lastError: { message: expect.stringMatching(/^store: /) },
    });
    mkdirSync(missingDirectory);
    expect(await exporter.checkStore()).toBe(true);
    expect(exporter.status().healthy).toBe(true);
    expect(storedQueries()).toBe(0); // the check installed the schema and wrote nothing
  });

  it('answers the SpanExporter callback with SUCCESS once the trace is kept', async () => {
    mkdirSync(missingDirectory);
    const exporter = create();
    await expect(exportSpans(exporter, recordPipeline().spans)).resolves.toEqual({
      code: ExportResultCode.SUCCESS,
    });
    expect(storedQueries()).toBe(1);
  });

  it('replays a spool left by an earlier run as soon as it starts', async () => {
    const spool = { directory: join(dir.path, 'shared-spool') };
    const earlier = create({ spool });
    for (let i = 0; i < 3; i += 1) await earlier.writeTraces(recordPipeline().spans.map(toSpanRecord));
    expect(earlier.status().spool.traces).toBe(3);
    await earlier.shutdown();

    mkdirSync(missingDirectory);
    const later = create({ spool, stateDirectory: join(dir.path, 'later') });
    // No write: starting is enough. The spool counts a record gone once its removal is on disk,
    // just after the trace is counted as replayed.
    await vi.waitFor(
      () => expect(later.status()).toMatchObject({ counters: { replayed: 3 }, spool: { traces: 0 } }),
      { timeout: 10_000, interval: 20 },
    );
    expect(storedQueries()).toBe(3);
  });

  it('drops with SpoolFullError, and counts it, when the store is down and the spool is full', async () => {
    const exporter = create({ spool: { maxBytes: 40_000 } });
    const results: (PromiseSettledResult<unknown> & { status: string })[] = [];
    for (let i = 0; i < 6; i += 1)
      results.push(
        ...(await Promise.allSettled([exporter.writeTraces(recordPipeline().spans.map(toSpanRecord))])),
      );
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]!.reason).toBeInstanceOf(SpoolFullError);
    expect(rejected[0]!.reason).toMatchObject({ code: 'SPOOL_FULL' });
    const status = exporter.status();
    expect(status.counters.dropped).toBe(rejected.length);
    expect(status.counters.spooled).toBe(6 - rejected.length);
    expect(status.spool.bytes).toBeLessThanOrEqual(status.spool.capacityBytes);
    const viaExport = await exportSpans(exporter, recordPipeline().spans);
    expect(viaExport.code).toBe(ExportResultCode.FAILED);
    expect(viaExport.error).toBeInstanceOf(SpoolFullError);
  });

  it('spools what does not fit in its in-memory queue, and writes it on the next flush', async () => {
    mkdirSync(missingDirectory);
    const exporter = create({ maxQueuedTraces: 1 });
    const spans = [recordPipeline(), recordPipeline(), recordPipeline()].flatMap((t) => t.spans);
    await expect(exporter.writeTraces(spans.map(toSpanRecord))).resolves.toMatchObject({
      committed: 1,
      spooled: 2,
    });
    await exporter.forceFlush();
    expect(storedQueries()).toBe(3);
    expect(exporter.status().counters).toMatchObject({ spooled: 2, replayed: 2, written: 3 });
  });

  it('shuts down once, writing what is queued, and refuses writes afterwards', async () => {
    mkdirSync(missingDirectory);
    const exporter = create();
    const pending = exporter.writeTraces(recordPipeline().spans.map(toSpanRecord));
    const first = exporter.shutdown();
    expect(exporter.shutdown()).toBe(first);
    const [written] = await Promise.all([pending, first]);
    expect(written).toMatchObject({ committed: 1 });
    const late = exporter.writeTraces(recordPipeline().spans.map(toSpanRecord));
    await expect(late).rejects.toBeInstanceOf(RecordingError);
    await expect(late).rejects.toMatchObject({ code: 'SHUT_DOWN' });
    await expect(exportSpans(exporter, recordPipeline().spans)).resolves.toMatchObject({
      code: ExportResultCode.FAILED,
    });
    await expect(exporter.forceFlush()).resolves.toBeUndefined();
    expect(storedQueries()).toBe(1);
  });

  it('answers FAILED, never throws, for spans it cannot read', async () => {
    mkdirSync(missingDirectory);
    const exporter = create();
    const result = await exportSpans(exporter, [{ name: 'not a span' }] as never);
    expect(result.code).toBe(ExportResultCode.FAILED);
    await expect(exporter.writeTraces(recordPipeline().spans.map(toSpanRecord))).resolves.toMatchObject({
      committed: 1,
    });
  });

  it('throws at creation only for a store it cannot name', () => {
    expect(() => createTableExporter({ store: 'mysql://x@y/z' })).toThrow(TypeError);
    expect(() => new TableExporter({ store: 'sqlite:' })).toThrow(/names no file/);
  });
});
