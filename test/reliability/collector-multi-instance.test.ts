/**
 * Three collector processes (the CLI) on one PostgreSQL database, behind a front: first one that
 * routes spans by trace ID (as the OpenTelemetry Collector's loadbalancing exporter does), then one
 * that sends whole requests round-robin. Official OTLP clients send over HTTP/protobuf and over
 * gRPC at once, each span in its own request (SimpleSpanProcessor), so with round-robin every
 * trace is split over the instances: its query span on one, its classification on another, its
 * spans of no stage on a third. In each phase one instance is SIGKILLed mid-load and restarted on
 * its state directory. Every trace whose spans were all acknowledged is stored exactly once and
 * complete: its query row COMPLETE, its classification row, and both spans of no stage in
 * OTHER_SPANS, whichever instance each reached; of a trace acknowledged in part, every
 * acknowledged span is stored (spans of no stage with their query).
 */
import { join } from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AI_QUERY_CLASSIFICATIONS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import { spawnCollector } from '../support/collector-process.js';
import type { CollectorProcess } from '../support/collector-process.js';
import { GrpcFront, HttpFront } from '../support/otlp-front.js';
import type { Routing } from '../support/otlp-front.js';
import { duplicateRows, noDuplicates, report, sleep } from '../support/reliability.js';
import { postgresStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const INSTANCES = 3;
/** Traces per client per phase; two clients (HTTP, gRPC) per phase. */
const TRACES = 24;

/** Wraps an official exporter: remembers which spans it got a success for. */
class AcknowledgingExporter implements SpanExporter {
  readonly acknowledged = new Set<string>();
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS)
        for (const span of spans) this.acknowledged.add(span.spanContext().spanId);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

interface SentTrace {
  readonly traceId: string;
  readonly spanIds: readonly string[];
  readonly querySpanId: string;
  readonly classificationSpanId: string;
  readonly otherSpanIds: readonly string[];
}

/** A sent trace and which of its spans were acknowledged. */
interface AcknowledgedTrace extends SentTrace {
  readonly acknowledged: ReadonlySet<string>;
}

/** Sends `count` traces, one at a time, each span exported as it ends (so a front may split them). */
async function sendTraces(
  exporter: AcknowledgingExporter,
  client: string,
  count: number,
  onSent: (n: number) => Promise<void>,
): Promise<SentTrace[]> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `multi-${client}` }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('multi-instance');
  const sent: SentTrace[] = [];
  for (let n = 0; n < count; n++) {
    const root = tracer.startSpan('text_to_sql.query', {
      attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': `${client} question ${n}` },
    });
    const inRoot = trace.setSpan(ROOT_CONTEXT, root);
    const database = tracer.startSpan(
      'SELECT lines',
      { attributes: { 'db.system.name': 'postgresql' } },
      inRoot,
    );
    database.end();
    const classification = tracer.startSpan(
      'text_to_sql.classification',
      { attributes: { 'text_to_sql.stage': 'classification', 'text_to_sql.classification.category': 'ops' } },
      inRoot,
    );
    const http = tracer.startSpan('POST /classify', {}, trace.setSpan(ROOT_CONTEXT, classification));
    http.end();
    classification.end();
    root.end();
    const ids = [database, classification, http, root].map((span) => span.spanContext().spanId);
    sent.push({
      traceId: root.spanContext().traceId,
      spanIds: ids,
      querySpanId: root.spanContext().spanId,
      classificationSpanId: classification.spanContext().spanId,
      otherSpanIds: [database.spanContext().spanId, http.spanContext().spanId],
    });
    await onSent(n);
    await sleep(30);
  }
  await provider.forceFlush();
  await provider.shutdown();
  return sent;
}

describe('three collectors on one PostgreSQL database, behind a front', () => {
  const dir = createTemporaryDirectory('aitdr-multi-');
  let store: StoreUnderTest;
  const instances: CollectorProcess[] = [];
  const fronts: { close(): Promise<void> }[] = [];

  const args = (i: number) => [
    '--store',
    store.url,
    '--state-dir',
    join(dir.path, `instance-${i}`),
    '--wait-ms',
    '100',
    // A part of a trace without its query span waits this long before it is written.
    '--max-wait-ms',
    '1500',
  ];

  beforeAll(async () => {
    store = await postgresStore();
    // The first instance installs the schema; the others start once it has.
    instances.push(await spawnCollector(args(0)));
    await vi.waitFor(
      async () =>
        expect(await (await fetch(`${instances[0]!.url}/health`)).json()).toMatchObject({
          storeHealthy: true,
        }),
      { timeout: 30_000, interval: 100 },
    );
    for (let i = 1; i < INSTANCES; i++) instances.push(await spawnCollector(args(i)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(fronts.map((front) => front.close()));
    for (const instance of instances) instance.child.kill('SIGKILL');
    await Promise.all(instances.map((instance) => instance.exited));
    await store?.close();
    dir.remove();
  });

  async function phase(routing: Routing, victim: number) {
    const http = await HttpFront.start(
      routing,
      instances.map((instance) => instance.url),
    );
    const grpcFront = await GrpcFront.start(
      routing,
      instances.map((instance) => instance.grpcUrl!),
    );
    fronts.push(http, grpcFront);
    const httpExporter = new AcknowledgingExporter(
      new OtlpProtoExporter({ url: `${http.url}/v1/traces`, timeoutMillis: 20_000 }),
    );
    const grpcExporter = new AcknowledgingExporter(
      new OtlpGrpcExporter({ url: `http://${grpcFront.address}` }),
    );

    // A third of the way in, one instance is killed and restarted while both clients go on
    // sending; two thirds in, they wait for it to be back, so the last third meets all three.
    let killed: Promise<void> | undefined;
    const restartVictim = async () => {
      const instance = instances[victim]!;
      instance.child.kill('SIGKILL');
      expect(await instance.exited).toBe('SIGKILL');
      const restarted = await spawnCollector(args(victim));
      instances[victim] = restarted;
      http.backends[victim] = restarted.url;
      grpcFront.backends[victim] = restarted.grpcUrl!;
    };
    const step = async (n: number) => {
      if (n === Math.floor(TRACES / 3)) killed ??= restartVictim();
      if (n === Math.floor((2 * TRACES) / 3)) await killed;
    };
    const [overHttp, overGrpc] = await Promise.all([
      sendTraces(httpExporter, `${routing}-http`, TRACES, step),
      sendTraces(grpcExporter, `${routing}-grpc`, TRACES, step),
    ]);
    await killed;

    const withAcknowledged = (sent: SentTrace[], exporter: AcknowledgingExporter) =>
      sent.map((t) => ({
        ...t,
        acknowledged: new Set(t.spanIds.filter((id) => exporter.acknowledged.has(id))),
      }));
    return [...withAcknowledged(overHttp, httpExporter), ...withAcknowledged(overGrpc, grpcExporter)];
  }

  /**
   * A trace acknowledged whole is stored as one instance would store it. Of one acknowledged in
   * part: its query span gives a COMPLETE query row, its classification a row, and its spans of no
   * stage are in OTHER_SPANS when its query row is there (without a query they are no recorder
   * trace).
   */
  async function expectStoredOnceAndComplete(traces: AcknowledgedTrace[]) {
    const view = (
      t: AcknowledgedTrace,
      row: Record<string, unknown> | undefined,
      classifications: number,
    ) => {
      const otherSpans = ((row?.OTHER_SPANS ?? []) as { spanId: string }[]).map((span) => span.spanId);
      const whole = t.acknowledged.size === t.spanIds.length;
      const queryKept = t.acknowledged.has(t.querySpanId);
      return {
        traceId: t.traceId,
        query: queryKept || whole ? row?.TRACE_STATUS : 'not acknowledged',
        classifications: t.acknowledged.has(t.classificationSpanId) ? classifications : 'not acknowledged',
        otherSpans: whole
          ? [...otherSpans].sort()
          : queryKept && t.otherSpanIds.every((id) => !t.acknowledged.has(id) || otherSpans.includes(id)),
      };
    };
    const expected = traces.map((t) => {
      const whole = t.acknowledged.size === t.spanIds.length;
      return {
        traceId: t.traceId,
        query: t.acknowledged.has(t.querySpanId) || whole ? 'COMPLETE' : 'not acknowledged',
        classifications: t.acknowledged.has(t.classificationSpanId) ? 1 : 'not acknowledged',
        otherSpans: whole ? [...t.otherSpanIds].sort() : t.acknowledged.has(t.querySpanId),
      };
    });
    // Parked spans are retried every 5 s; a killed instance replays its journal when it is back.
    await vi.waitFor(
      async () => {
        const queries = new Map(
          (await store.rows(AI_TRAINING_QUERIES)).map((row) => [row.QUERY_ID as string, row]),
        );
        const classifications = await store.rows(AI_QUERY_CLASSIFICATIONS);
        const stored = traces.map((t) =>
          view(t, queries.get(t.traceId), classifications.filter((c) => c.QUERY_ID === t.traceId).length),
        );
        expect(stored).toEqual(expected);
      },
      { timeout: 90_000, interval: 500 },
    );
    expect(await duplicateRows(store)).toEqual(noDuplicates());
  }

  it.each([
    ['trace-id', 1],
    ['round-robin', 2],
  ] as const)(
    'routing by %s, instance %i killed mid-load: every acknowledged trace stored once and complete',
    async (routing, victim) => {
      const traces = await phase(routing, victim);
      const whole = traces.filter((t) => t.acknowledged.size === t.spanIds.length).length;
      // Traces sent while an instance was down, or in flight when it was killed, may not be
      // acknowledged whole (the gRPC exporter does not retry); those sent after the restart are,
      // unless the machine is so slow that exports time out: at least one client's last third.
      expect(whole).toBeGreaterThanOrEqual(TRACES / 3);
      await expectStoredOnceAndComplete(traces);
      report(`collector-multi-instance-${routing}`, {
        sent: traces.length,
        acknowledgedWhole: whole,
        acknowledgedInPart: traces.filter(
          (t) => t.acknowledged.size > 0 && t.acknowledged.size < t.spanIds.length,
        ).length,
      });
    },
    240_000,
  );
});
