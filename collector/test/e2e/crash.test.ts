/**
 * A 200 means kept: the collector is SIGKILLed twice while clients are sending, restarted on the
 * same spool directory each time, and every trace that got a 200 ends up in the tables exactly once.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { spawnCollector } from '@aitdr/tests/support/collector-process.js';
import type { CollectorProcess } from '@aitdr/tests/support/collector-process.js';
import { protobufBody, queryTrace } from '../support/spans.js';
import { eventually, selectAll } from './support.js';

describe('collector killed mid-load', () => {
  const dir = createTemporaryDirectory('aitdr-crash-');
  afterAll(() => dir.remove());

  it('keeps every acknowledged trace, exactly once, across two SIGKILLs', async () => {
    const database = join(dir.path, 'training.db');
    const args = ['--store', `sqlite:${database}`, '--state-dir', join(dir.path, 'spool'), '--wait-ms', '50'];
    let collector: CollectorProcess = await spawnCollector(args);
    const acknowledged = new Set<string>();
    let sent = 0;
    let stop = false;

    // Four clients send one whole trace per request; a refused or cut request is simply not counted.
    const client = async () => {
      while (!stop) {
        const trace = queryTrace(`question ${sent++}`);
        try {
          const response = await fetch(`${collector.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body: protobufBody(trace),
            signal: AbortSignal.timeout(5000),
          });
          if (response.status === 200) acknowledged.add(trace[0]!.spanContext().traceId);
          await response.arrayBuffer();
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // collector down: try again soon
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);

    for (const target of [40, 80]) {
      await eventually(() => acknowledged.size >= target, 30_000, 5);
      collector.child.kill('SIGKILL');
      expect(await collector.exited).toBe('SIGKILL');
      collector = await spawnCollector(args);
    }
    await eventually(() => acknowledged.size >= 120, 30_000, 5);
    stop = true;
    await Promise.all(clients);

    const stored = () =>
      new Set(
        selectAll<{ QUERY_ID: string }>(
          database,
          `SELECT q.QUERY_ID FROM AI_TRAINING_QUERIES q JOIN AI_QUERY_CLASSIFICATIONS c ON c.QUERY_ID = q.QUERY_ID
           WHERE q.TRACE_STATUS = 'COMPLETE'`,
        ).map((row) => row.QUERY_ID),
      );
    // Waits for the background writes; on failure the assertion below names what is missing.
    await eventually(() => [...acknowledged].every((id) => stored().has(id)), 20_000).catch(() => undefined);
    collector.child.kill('SIGTERM');
    expect(await collector.exited).toBe(0);

    const missing = [...acknowledged].filter((id) => !stored().has(id));
    expect(missing).toEqual([]);
    // Exactly once: one query row and one classification row per stored trace, acknowledged or not.
    const [counts] = selectAll<{ queries: number; classifications: number }>(
      database,
      `SELECT (SELECT COUNT(*) FROM AI_TRAINING_QUERIES) AS queries, (SELECT COUNT(*) FROM AI_QUERY_CLASSIFICATIONS) AS classifications`,
    );
    expect(counts!.classifications).toBe(counts!.queries);
    expect(counts!.queries).toBeGreaterThanOrEqual(acknowledged.size);
    expect(counts!.queries).toBeLessThanOrEqual(sent);
  }, 120_000);
});
