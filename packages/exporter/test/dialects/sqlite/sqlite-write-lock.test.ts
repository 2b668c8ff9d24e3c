/**
 * The SQLite writer takes the write lock with the first message of its transaction (BEGIN
 * IMMEDIATE rides with the batch's first statements): a database another connection is writing to
 * must cost a retry and the spool, never a refused (dead-lettered) trace, and the traces reach
 * the store once the lock is released.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import { createTableExporter } from '@aitdr/exporter';
import type { TableExporter } from '@aitdr/exporter';
import { AI_MODEL_INTERACTIONS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordFeedback, recordPipeline } from '../../support/traces.js';

describe('SQLite store whose write lock another connection holds', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('spools the batch instead of refusing it, and stores it whole once the lock is released', async () => {
    const dir = createTemporaryDirectory('aitdr-exporter-sqlite-lock-');
    cleanups.push(() => dir.remove());
    const filename = join(dir.path, 'training.db');
    const exporter: TableExporter = createTableExporter({
      store: { dialect: 'sqlite', filename, busyTimeoutMs: 20 },
      stateDirectory: join(dir.path, 'state'),
      retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 },
      breaker: { volumeThreshold: 100 },
      replayIntervalMs: 600_000,
    });
    cleanups.push(() => exporter.shutdown());
    // A first query installs the schema; its feedback, later, makes the next batch read first.
    const first = recordPipeline();
    await exporter.writeTraces(first.spans.map(toSpanRecord), { require: 'committed' });

    const other = new Database(filename, { timeout: 20 });
    cleanups.push(() => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    });
    other.exec('BEGIN IMMEDIATE');
    const second = recordPipeline();
    const feedback = recordFeedback(first.traceId, first.spanIds.query, { rating: 4 });
    const records = [...second.spans, ...feedback.spans].map(toSpanRecord);
    await expect(exporter.writeTraces(records, { require: 'accepted' })).resolves.toEqual({
      committed: 0,
      spooled: 2,
      parked: 0,
      deadLettered: 0,
    });
    expect(exporter.status().counters.deadLettered).toBe(0);

    other.exec('COMMIT');
    await exporter.forceFlush();
    const count = (sql: string, ...binds: string[]) =>
      (other
        .prepare(sql)
        .pluck()
        .get(...binds) as number) ?? 0;
    expect(count(`SELECT COUNT(*) FROM ${AI_TRAINING_QUERIES.name} WHERE QUERY_ID = ?`, second.traceId)).toBe(
      1,
    );
    expect(
      count(`SELECT COUNT(*) FROM ${AI_MODEL_INTERACTIONS.name} WHERE QUERY_ID = ?`, second.traceId),
    ).toBe(2);
    expect(count(`SELECT COUNT(*) FROM AI_USER_FEEDBACK WHERE QUERY_ID = ?`, first.traceId)).toBe(1);
    expect(exporter.status().spool.traces).toBe(0);
  });
});
