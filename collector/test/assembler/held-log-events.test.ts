/**
 * Log records in the assembler: journaled before the answer, held with their trace, attached to
 * their span on release; the journal record goes once every trace it touched is settled, whether
 * its events were attached or could not be (counted).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import type { RecorderStatus, SpanRecord, TraceWriteResult, TraceWriter } from '@aitdr/conventions';
import { TraceAssembler } from '../../src/assembler/trace-assembler.js';
import type { TraceAssemblerOptions } from '../../src/assembler/trace-assembler.js';
import { logEventsRequest } from '../support/log-records.js';
import { MemoryJournal } from '../support/memory-journal.js';
import { protobufBody, queryTrace } from '../support/spans.js';

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

function setup(
  journal = new MemoryJournal(),
  maxHeldLogEvents?: number,
  options: TraceAssemblerOptions = {},
) {
  let now = 0;
  const writer = new RecordingWriter();
  const assembler = new TraceAssembler(writer, journal, {
    waitMs: 100,
    maxWaitMs: 1000,
    now: () => now,
    ...(maxHeldLogEvents === undefined ? {} : { maxHeldLogEvents }),
    ...options,
  });
  const advance = async (ms: number) => {
    now += ms;
    assembler.tick();
    await settle();
  };
  const sendSpans = (spans: ReadableSpan[]) =>
    assembler.accept({ encoding: 'protobuf', body: protobufBody(spans), spans: spans.map(toSpanRecord) });
  const sendLogs = (traceId: string, spanId: string, names: string[]) =>
    assembler.acceptLogs(logEventsRequest(traceId, spanId, names));

  return { journal, writer, assembler, advance, sendSpans, sendLogs };
}

/** A query trace with a model call (a GenAI span): the traces GenAI log records name, and the ones kept after their write. */
const modelCallTrace = () =>
  queryTrace('downtime by line', { classification: { 'gen_ai.operation.name': 'chat' } });

const idsOf = (span: ReadableSpan) => span.spanContext();
const eventNames = (spans: readonly SpanRecord[], spanId: string) =>
  spans.find((s) => s.spanId === spanId)?.events.map((e) => e.name);

describe('TraceAssembler with log records', () => {
  it('attaches records that came before the spans, and removes both journal records once written', async () => {
    const { journal, writer, assembler, advance, sendSpans, sendLogs } = setup();
    const spans = modelCallTrace();
    const { traceId, spanId } = idsOf(spans[0]!);
    await sendLogs(traceId, spanId, ['gen_ai.user.message', 'gen_ai.choice']);
    expect(journal.records.size).toBe(1);
    await sendSpans(spans);
    await advance(150);
    expect(writer.writes).toHaveLength(1);
    expect(eventNames(writer.writes[0]!, spanId)).toEqual(['gen_ai.user.message', 'gen_ai.choice']);
    expect(journal.records.size).toBe(0);
    expect(assembler.logEventCounts()).toEqual({ attached: 2, unattached: 0 });
  });

  it('counts records whose spans never came, and lets their journal record go after the longest wait', async () => {
    const { journal, writer, assembler, advance, sendLogs } = setup();
    await sendLogs('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174', ['gen_ai.choice']);
    await advance(999);
    expect(journal.records.size).toBe(1);
    await advance(1);
    expect(writer.writes).toHaveLength(0);
    expect(journal.records.size).toBe(0);
    expect(assembler.logEventCounts()).toEqual({ attached: 0, unattached: 1 });
  });

  it('writes a trace already written again with records that came after it, then lets their journal record go', async () => {
    const { journal, writer, assembler, advance, sendSpans, sendLogs } = setup();
    const spans = modelCallTrace();
    const { traceId, spanId } = idsOf(spans[0]!);
    const other = idsOf(spans[1]!).spanId;
    await sendSpans(spans);
    await advance(150);
    expect(writer.writes).toHaveLength(1);
    await sendLogs(traceId, spanId, ['gen_ai.user.message']);
    await advance(50);
    // Held again like late spans: written after the quiet time, with what came meanwhile.
    await sendLogs(traceId, other, ['gen_ai.choice']);
    expect(journal.records.size).toBe(2);
    await advance(100);
    expect(writer.writes).toHaveLength(2);
    const again = writer.writes[1]!;
    expect(again.map((s) => s.spanId).sort()).toEqual(spans.map((s) => idsOf(s).spanId).sort());
    expect(eventNames(again, spanId)).toEqual(['gen_ai.user.message']);
    expect(eventNames(again, other)).toEqual(['gen_ai.choice']);
    expect(journal.records.size).toBe(0);
    expect(assembler.logEventCounts()).toEqual({ attached: 2, unattached: 0 });

    // Later records join the events attached before: the trace is kept as last written.
    await sendLogs(traceId, spanId, ['gen_ai.assistant.message']);
    await advance(150);
    expect(eventNames(writer.writes[2]!, spanId)).toEqual([
      'gen_ai.user.message',
      'gen_ai.assistant.message',
    ]);
    expect(eventNames(writer.writes[2]!, other)).toEqual(['gen_ai.choice']);
    expect(assembler.status()).toMatchObject({ traces: 0, spans: 0, releasedIncomplete: 0 });
  });

  it('counts records for a written trace no longer kept (past keepWrittenMs), and keeps no journal record for them', async () => {
    const { journal, writer, assembler, advance, sendSpans, sendLogs } = setup(undefined, undefined, {
      keepWrittenMs: 500,
    });
    const spans = modelCallTrace();
    const { traceId, spanId } = idsOf(spans[0]!);
    await sendSpans(spans);
    await advance(150);
    await advance(499);
    await sendLogs(traceId, spanId, ['gen_ai.user.message']);
    await advance(150);
    expect(writer.writes).toHaveLength(2);
    // Kept 500 ms after its last write.
    await advance(500);
    await sendLogs(traceId, spanId, ['gen_ai.choice']);
    await settle();
    expect(writer.writes).toHaveLength(2);
    expect(journal.records.size).toBe(0);
    expect(assembler.logEventCounts()).toEqual({ attached: 1, unattached: 1 });
  });

  it('keeps at most maxWrittenSpans of written traces: records for one let go are counted', async () => {
    const { writer, assembler, advance, sendSpans, sendLogs } = setup(undefined, undefined, {
      maxWrittenSpans: 3,
    });
    const first = modelCallTrace();
    const second = modelCallTrace();
    expect(first.length + second.length).toBeGreaterThan(3);
    await sendSpans(first);
    await sendSpans(second);
    await advance(150);
    await sendLogs(idsOf(first[0]!).traceId, idsOf(first[0]!).spanId, ['gen_ai.choice']);
    await sendLogs(idsOf(second[0]!).traceId, idsOf(second[0]!).spanId, ['gen_ai.choice']);
    await advance(150);
    expect(writer.writes).toHaveLength(3);
    expect(eventNames(writer.writes[2]!, idsOf(second[0]!).spanId)).toEqual(['gen_ai.choice']);
    expect(assembler.logEventCounts()).toEqual({ attached: 1, unattached: 1 });
  });

  it('keeps no trace without a GenAI span after its write: records coming later for it are counted', async () => {
    const { writer, assembler, advance, sendSpans, sendLogs } = setup();
    const spans = queryTrace();
    const { traceId, spanId } = idsOf(spans[0]!);
    await sendSpans(spans);
    await advance(150);
    await sendLogs(traceId, spanId, ['gen_ai.choice']);
    await advance(150);
    expect(writer.writes).toHaveLength(1);
    expect(assembler.logEventCounts()).toEqual({ attached: 0, unattached: 1 });
  });

  it('replays journaled records after a crash, so they still join spans sent later', async () => {
    const first = setup();
    const spans = modelCallTrace();
    const { traceId, spanId } = idsOf(spans[0]!);
    await first.sendLogs(traceId, spanId, ['gen_ai.user.message']);
    // A crash: the journal survives, the assembler does not.
    const second = setup(first.journal);
    await second.assembler.start(60_000);
    await second.sendSpans(spans);
    await second.advance(150);
    expect(eventNames(second.writer.writes[0]!, spanId)).toEqual(['gen_ai.user.message']);
    expect(first.journal.records.size).toBe(0);
    await second.assembler.close();
  });

  it('holds at most maxHeldLogEvents waiting for their spans: past it the oldest count as unattached', async () => {
    const { assembler, advance, sendLogs } = setup(new MemoryJournal(), 2);
    await sendLogs('11111111111111111111111111111111', 'eee19b7ec3c1b174', ['a', 'b']);
    await sendLogs('22222222222222222222222222222222', 'eee19b7ec3c1b174', ['c']);
    await advance(1);
    expect(assembler.logEventCounts()).toEqual({ attached: 0, unattached: 2 });
  });
});
