/**
 * What an operator sees: one log line per request at debug (so health probes stay out of an info
 * log), refusals and failures at warn or above; process metrics and the writer's ignored traces,
 * out-of-set values and parked feedback on /metrics.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCollectorApp } from '../../src/http/app.js';
import type { IntakeRequest, TraceIntake } from '../../src/assembler/intake-port.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';
import type { WriterStatus } from '../../src/receiver/metrics.js';

const acceptAll: TraceIntake = { accept: (_request: IntakeRequest) => Promise.resolve() };

const apps: ReturnType<typeof buildCollectorApp>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function appLoggingAt(level: string, metrics = new CollectorMetrics()) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = buildCollectorApp(
    { maxBodyBytes: 1024, logger: { level, stream } },
    { intake: acceptAll, metrics, readiness: () => ({ ready: true, checks: {} }) },
  );
  apps.push(app);
  return { app, lines };
}

describe('request log', () => {
  it('logs nothing at info for health probes, and one line with its reason for a refused request', async () => {
    const { app, lines } = appLoggingAt('info');
    for (let i = 0; i < 5; i++)
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(lines).toEqual([]);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(refused.statusCode).toBe(415);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'trace export request refused', status: 415 });
    expect(String(lines[0]!.reason)).toMatch(/content-type/i);
    const unknown = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(unknown.statusCode).toBe(404);
    expect(lines[1]).toMatchObject({ level: 30, msg: 'request refused', statusCode: 404, url: '/nowhere' });
  });

  it('logs every request, once, at debug', async () => {
    const { app, lines } = appLoggingAt('debug');
    await app.inject({ method: 'GET', url: '/health' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 20, msg: 'request', statusCode: 200, url: '/health' });
  });
});

describe('GET /metrics', () => {
  it('has process metrics and what the writer ignored, kept out of columns and parked', async () => {
    const status = {
      healthy: true,
      breaker: 'closed' as const,
      spool: { bytes: 0, traces: 0, capacityBytes: 1 },
      counters: {
        received: 9,
        written: 5,
        retried: 0,
        spooled: 0,
        replayed: 0,
        parked: 2,
        deadLettered: 0,
        dropped: 0,
        ignored: 3,
        outsideClosedSets: 4,
      },
      parked: { traces: 2, bytes: 2048 },
    } satisfies WriterStatus;
    const { app } = appLoggingAt('silent', new CollectorMetrics({ writerStatus: () => status }));
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(text).toMatch(/^aitdr_collector_traces_ignored_total 3$/m);
    expect(text).toMatch(/^aitdr_collector_attribute_values_outside_closed_sets_total 4$/m);
    expect(text).toMatch(/^aitdr_collector_parked_traces 2$/m);
    expect(text).toMatch(/^aitdr_collector_parked_bytes 2048$/m);
  });

  it("names the writer's dropped traces with its contract's word, and has no dropped count of its own", async () => {
    const status = {
      healthy: false,
      breaker: 'open' as const,
      spool: { bytes: 1, traces: 1, capacityBytes: 1 },
      counters: {
        received: 9,
        written: 0,
        retried: 0,
        spooled: 1,
        replayed: 0,
        parked: 0,
        deadLettered: 0,
        dropped: 7,
      },
    } satisfies WriterStatus;
    const { app } = appLoggingAt('silent', new CollectorMetrics({ writerStatus: () => status }));
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^aitdr_collector_traces_dropped_by_writer_total 7$/m);
    expect(text).toMatch(/^aitdr_collector_writer_refusals_total 7$/m);
    expect(text).toMatch(/^# HELP aitdr_collector_writer_refusals_total Deprecated/m);
    expect(text).not.toMatch(/^aitdr_collector_traces_dropped_total/m);
  });
});
