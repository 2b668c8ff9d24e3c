/**
 * The assembler hands a writer that takes deferred traces (the table exporter) each trace as it
 * holds it: records are made only when the writer asks, each time it asks. Whether log records may
 * still come for a trace (a GenAI span in it) is read at intake, so a trace held as protobuf bytes
 * is kept for them without being decoded.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type {
  DeferredTrace,
  DeferredTraceWriter,
  RecorderStatus,
  SpanRecord,
  TraceWriteResult,
} from '@aitdr/conventions';
import { TraceAssembler } from '../../src/assembler/trace-assembler.js';
import { scanProtobufRequest } from '../../src/otlp/wire-spans.js';
import { logEventsRequest } from '../support/log-records.js';
import { MemoryJournal } from '../support/memory-journal.js';
import { referenceDecodeProtobufRequest } from '../support/reference-protobuf-decode.js';
import { protobufBody, queryTrace } from '../support/spans.js';

class DeferredRecordingWriter implements DeferredTraceWriter {
  readonly deferred: DeferredTrace[] = [];
  recordWrites = 0;
  writeDeferredTrace(trace: DeferredTrace): Promise<TraceWriteResult> {
    this.deferred.push(trace);
    return Promise.resolve({ committed: 1, spooled: 0, parked: 0, deadLettered: 0 });
  }
  writeTraces(): Promise<TraceWriteResult> {
    this.recordWrites += 1;
    return Promise.resolve({ committed: 1, spooled: 0, parked: 0, deadLettered: 0 });
  }
  status(): RecorderStatus {
    throw new Error('not used');
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const byId = (spans: readonly SpanRecord[]) => [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
const idsOf = (span: ReadableSpan) => span.spanContext();

function setup() {
  let now = 0;
  const writer = new DeferredRecordingWriter();
  const journal = new MemoryJournal();
  const assembler = new TraceAssembler(writer, journal, { waitMs: 100, maxWaitMs: 1000, now: () => now });
  const advance = async (ms: number) => {
    now += ms;
    assembler.tick();
    await settle();
  };
  // As the protobuf route hands them over: the scan's spans, held as bytes.
  const sendWire = (spans: ReadableSpan[]) => {
    const body = protobufBody(spans);
    return assembler.accept({ encoding: 'protobuf', body, spans: scanProtobufRequest(body).spans });
  };
  const sendLogs = (traceId: string, spanId: string, names: string[]) =>
    assembler.acceptLogs(logEventsRequest(traceId, spanId, names));

  return { writer, journal, assembler, advance, sendWire, sendLogs };
}

describe('TraceAssembler with a writer of deferred traces', () => {
  it('hands each trace over deferred: its records, made on each ask, are the full decode’s', async () => {
    const { writer, journal, advance, sendWire } = setup();
    const spans = queryTrace('scrap rate');
    await sendWire(spans);
    await advance(150);
    expect(writer.recordWrites).toBe(0);
    expect(writer.deferred).toHaveLength(1);
    const [trace] = writer.deferred as [DeferredTrace];
    expect(trace.traceId).toBe(idsOf(spans[0]!).traceId);
    const expected = byId(referenceDecodeProtobufRequest(protobufBody(spans)).spans);
    expect(byId(trace.spans())).toEqual(expected);
    // Asked again (a retry, the spool), the same records.
    expect(byId(trace.spans())).toEqual(expected);
    expect(journal.records.size).toBe(0);
  });

  it('keeps a trace held as bytes with a GenAI span for later log records, and no other', async () => {
    const { writer, assembler, advance, sendWire, sendLogs } = setup();
    const modelCall = queryTrace('downtime by line', { classification: { 'gen_ai.operation.name': 'chat' } });
    const plain = queryTrace('scrap rate');
    await sendWire([...modelCall, ...plain]);
    await advance(150);
    expect(writer.deferred).toHaveLength(2);
    const model = idsOf(modelCall[0]!);
    await sendLogs(model.traceId, model.spanId, ['gen_ai.choice']);
    await sendLogs(idsOf(plain[0]!).traceId, idsOf(plain[0]!).spanId, ['gen_ai.choice']);
    await advance(150);
    // Written again with its event (as records, which carry it); the other's record is counted.
    expect(writer.deferred).toHaveLength(3);
    const again = writer.deferred[2]!;
    expect(again.traceId).toBe(model.traceId);
    expect(
      again
        .spans()
        .find((s) => s.spanId === model.spanId)
        ?.events.map((e) => e.name),
    ).toEqual(['gen_ai.choice']);
    expect(assembler.logEventCounts()).toEqual({ attached: 1, unattached: 1 });
  });
});
