/**
 * `writeDeferredTrace`: the table exporter takes a trace whose records it makes when the lane maps
 * it, and again only where the trace must be kept otherwise (a retry, the spool); it is written,
 * spooled and replayed as the same records given to `writeTraces` would be.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import type { DeferredTrace } from '@aitdr/conventions';
import { createTableExporter } from '@aitdr/exporter';
import type { TableExporter } from '@aitdr/exporter';
import { AI_MODEL_INTERACTIONS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordPipeline } from './support/traces.js';

/** A pipeline trace as a deferred one, counting how often its records were asked for. */
function deferredPipeline() {
  const pipeline = recordPipeline();
  const trace = {
    traceId: pipeline.traceId,
    asked: 0,
    spans() {
      trace.asked += 1;
      return pipeline.spans.map(toSpanRecord);
    },
  } satisfies DeferredTrace & { asked: number };
  return trace;
}

describe('TableExporter.writeDeferredTrace', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const setup = (busyTimeoutMs?: number) => {
    const dir = createTemporaryDirectory('aitdr-exporter-deferred-');
    cleanups.push(() => dir.remove());
    const filename = join(dir.path, 'training.db');
    const exporter: TableExporter = createTableExporter({
      store: { dialect: 'sqlite', filename, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) },
      stateDirectory: join(dir.path, 'state'),
      retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 },
      breaker: { volumeThreshold: 100 },
      replayIntervalMs: 600_000,
    });
    cleanups.push(() => exporter.shutdown());
    const count = (sql: string, ...binds: string[]) => {
      const db = new Database(filename, { readonly: true });
      try {
        return db
          .prepare(sql)
          .pluck()
          .get(...binds) as number;
      } finally {
        db.close();
      }
    };
    return { exporter, filename, count };
  };

  it('commits the trace, its records made once, when the lane maps it', async () => {
    const { exporter, count } = setup();
    const trace = deferredPipeline();
    await expect(exporter.writeDeferredTrace(trace, { require: 'committed' })).resolves.toEqual({
      committed: 1,
      spooled: 0,
      parked: 0,
      deadLettered: 0,
    });
    expect(trace.asked).toBe(1);
    expect(count(`SELECT COUNT(*) FROM ${AI_TRAINING_QUERIES.name} WHERE QUERY_ID = ?`, trace.traceId)).toBe(
      1,
    );
    expect(
      count(`SELECT COUNT(*) FROM ${AI_MODEL_INTERACTIONS.name} WHERE QUERY_ID = ?`, trace.traceId),
    ).toBe(2);
    expect(exporter.status().counters).toMatchObject({ received: 1, written: 1 });
  });

  it('maps the trace again for the retry and the spool while the store is locked, and replays it whole', async () => {
    const { exporter, filename, count } = setup(20);
    // A first trace installs the schema.
    await exporter.writeDeferredTrace(deferredPipeline(), { require: 'committed' });
    const other = new Database(filename, { timeout: 20 });
    cleanups.push(() => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    });
    other.exec('BEGIN IMMEDIATE');
    const trace = deferredPipeline();
    await expect(exporter.writeDeferredTrace(trace, { require: 'accepted' })).resolves.toMatchObject({
      spooled: 1,
    });
    // Mapped for the first attempt and again for the retry (rows are let go once sent), then made
    // once more for the spool.
    expect(trace.asked).toBe(3);
    other.exec('COMMIT');
    await exporter.forceFlush();
    expect(count(`SELECT COUNT(*) FROM ${AI_TRAINING_QUERIES.name} WHERE QUERY_ID = ?`, trace.traceId)).toBe(
      1,
    );
    expect(
      count(`SELECT COUNT(*) FROM ${AI_MODEL_INTERACTIONS.name} WHERE QUERY_ID = ?`, trace.traceId),
    ).toBe(2);
    expect(exporter.status().spool.traces).toBe(0);
  });
});
