import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { RecorderStatus, SpanRecord, TraceWriteResult, TraceWriter } from '@aitdr/conventions';
import { TraceAssembler, journalRecord } from '../../src/assembler/trace-assembler.js';
import { WireSpans, scanProtobufRequest } from '../../src/otlp/wire-spans.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';
import { MemoryJournal } from '../support/memory-journal.js';
import { referenceDecodeProtobufRequest } from '../support/reference-protobuf-decode.js';
import { protobufBody } from '../support/spans.js';

class RecordingWriter implements TraceWriter {
  readonly writes: SpanRecord[][] = [];
  writeTraces(spans: readonly SpanRecord[]): Promise<TraceWriteResult> {
    this.writes.push([...spans]);
    return Promise.resolve({ committed: 1, spooled: 0, parked: 0, deadLettered: 0 });
  }
  status(): RecorderStatus {
    throw new Error('not used');
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Two traces from one provider (resource, scope), with events, links, statuses and a parent chain. */
function twoTraces(): ReadableSpan[][] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'assistant', 'host.cpus': 2 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('text-to-sql', '0.9.0');
  const traces: ReadableSpan[][] = [];
  for (const question of ['scrap rate', 'downtime ünïcödé']) {
    const root = tracer.startSpan('text_to_sql.query', {
      kind: SpanKind.SERVER,
      attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': question },
    });
    const context = trace.setSpan(ROOT_CONTEXT, root);
    const model = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 812 },
        links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
      },
      context,
    );
    model.addEvent('retry', { attempt: 2 });
    model.setStatus({ code: SpanStatusCode.ERROR, message: 'model timed out' });
    model.end();
    tracer
      .startSpan('text_to_sql.execution', { attributes: { 'text_to_sql.stage': 'execution' } }, context)
      .end();
    root.end();
    traces.push(exporter.getFinishedSpans().slice(-3));
  }
  return traces;
}

const byId = (spans: readonly SpanRecord[]) => [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));

describe('TraceAssembler holding protobuf spans as bytes', () => {
  it('writes the records the full decode builds, for each trace of a request and of a trace split over requests', async () => {
    let now = 0;
    const writer = new RecordingWriter();
    const journal = new MemoryJournal();
    const assembler = new TraceAssembler(writer, journal, { waitMs: 100, maxWaitMs: 1000, now: () => now });
    const [first, second] = twoTraces() as [ReadableSpan[], ReadableSpan[]];
    const isRoot = (span: ReadableSpan) => span.parentSpanContext === undefined;
    // Request 1: the first trace's children and the second trace whole; request 2: the first's root.
    const bodies = [
      protobufBody([...first.filter((span) => !isRoot(span)), ...second]),
      protobufBody(first.filter(isRoot)),
    ];
    await assembler.accept({
      encoding: 'protobuf',
      body: bodies[0]!,
      spans: scanProtobufRequest(bodies[0]!).spans,
    });
    // The body is not kept: each trace's spans were copied out of it.
    bodies[0]!.fill(0);
    now += 150;
    assembler.tick();
    await settle();
    expect(writer.writes).toHaveLength(1); // the second trace, whole; the first waits for its root
    await assembler.accept({
      encoding: 'protobuf',
      body: bodies[1]!,
      spans: scanProtobufRequest(bodies[1]!).spans,
    });
    now += 150;
    assembler.tick();
    await settle();
    expect(writer.writes).toHaveLength(2);
    const expected = referenceDecodeProtobufRequest(protobufBody([...first, ...second])).spans;
    const [writtenSecond, writtenFirst] = writer.writes as [SpanRecord[], SpanRecord[]];
    expect(byId(writtenFirst)).toEqual(
      byId(expected.filter((span) => span.traceId === writtenFirst[0]!.traceId)),
    );
    expect(byId(writtenSecond)).toEqual(
      byId(expected.filter((span) => span.traceId === writtenSecond[0]!.traceId)),
    );
    expect(writtenFirst.every((span) => span.traceId !== writtenSecond[0]!.traceId)).toBe(true);
    expect(journal.records.size).toBe(0);
    await assembler.close();
  });

  it('counts a held span that cannot be decoded at release, and writes the rest of its trace', async () => {
    const writer = new RecordingWriter();
    const journal = new MemoryJournal();
    const assembler = new TraceAssembler(writer, journal, { waitMs: 0 });
    const metrics = new CollectorMetrics({ heldTraces: () => assembler.status() });
    const [first] = twoTraces() as [ReadableSpan[]];
    const body = protobufBody(first);
    const scanned = scanProtobufRequest(body).spans;
    // The first span cut one byte short: its last field is incomplete, so its decode fails.
    const ends = [scanned.ends[0]! - 1, ...scanned.ends.slice(1)];
    const { origins, starts, originIndex, traceIds, roots, genAi } = scanned;
    await assembler.accept({
      encoding: 'protobuf',
      body,
      spans: new WireSpans(body, origins, starts, ends, originIndex, traceIds, roots, genAi),
    });
    await assembler.close();
    const expected = referenceDecodeProtobufRequest(body).spans.slice(1);
    expect(byId(writer.writes.flat())).toEqual(byId(expected));
    expect(assembler.status().undecodableSpans).toBe(1);
    expect(await metrics.text()).toMatch(/^aitdr_collector_spans_undecodable_total 1$/m);
  });

  it('replays a journaled protobuf request into the same records', async () => {
    const journal = new MemoryJournal();
    const spans = twoTraces().flat();
    const body = protobufBody(spans);
    await journal.append(journalRecord('protobuf', body));
    const writer = new RecordingWriter();
    const assembler = new TraceAssembler(writer, journal, { waitMs: 0 });
    await assembler.start();
    assembler.tick();
    await settle();
    await assembler.close();
    expect(byId(writer.writes.flat())).toEqual(byId(referenceDecodeProtobufRequest(body).spans));
    expect(journal.records.size).toBe(0);
  });
});
