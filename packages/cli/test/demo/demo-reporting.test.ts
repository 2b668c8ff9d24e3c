/**
 * The demo does not stay silent: with --jaeger and nothing listening it says how many requests
 * reached Jaeger and why the others did not; with a collector elsewhere it waits, bounded, until
 * the stored counts settle before it reports them.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollector } from '@aitdr/collector';
import { renderDemoSummary, runDemo } from '@aitdr/cli';
import type { DemoOptions } from '@aitdr/cli';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('demo reporting', () => {
  const dir = createTemporaryDirectory('aitdr-demo-reporting-');
  afterAll(() => dir.remove());
  const base = (name: string): DemoOptions => ({
    queries: 4,
    seed: 42,
    store: `sqlite:${join(dir.path, `${name}.db`)}`,
    sampleDatabase: join(dir.path, `${name}-sample.db`),
    days: 14,
    transport: { kind: 'collector' },
    realTime: false,
    stateDirectory: join(dir.path, `${name}-state`),
  });

  it.each(['collector', 'in-process'] as const)(
    'says that Jaeger received nothing, and why, when nothing listens there (%s)',
    async (kind) => {
      const url = `http://127.0.0.1:${await closedPort()}/v1/traces`;
      const result = await runDemo({ ...base(`jaeger-${kind}`), transport: { kind }, jaegerUrl: url });
      expect(result.jaeger).toMatchObject({ url, forwarded: 0 });
      expect(result.jaeger!.failed).toBeGreaterThan(0);
      expect(result.jaeger!.lastFailure).toMatch(/ECONNREFUSED/);
      const requests = result.jaeger!.failed + result.jaeger!.skipped;
      expect(renderDemoSummary(result)).toContain(
        `Jaeger (${url}): 0 of ${requests} requests forwarded; ${result.jaeger!.failed} failed (`,
      );
    },
    60_000,
  );

  it('waits for a collector elsewhere to store what it was sent before reporting', async () => {
    const options = base('external');
    const collector = await startCollector({
      store: options.store,
      port: 0,
      stateDirectory: join(dir.path, 'external-collector'),
      waitMs: 1500, // longer than the demo takes to hand over its last trace
    });
    try {
      const result = await runDemo({
        ...options,
        transport: { kind: 'external-collector', url: `${collector.url}/v1/traces` },
      });
      expect(result.unsettled).toBeUndefined();
      const stored = result.storedAfter as ReadonlyMap<string, number>;
      for (const [table, rows] of result.sent) expect(stored.get(table), table).toBe(rows);
      expect(result.sent.get('AI_TRAINING_QUERIES')).toBe(4);
    } finally {
      await collector.close();
    }
  }, 60_000);
});
