import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { SpoolFullError, toSpanRecord } from '@aitdr/conventions';
import type {
  RecorderStatus,
  SpanRecord,
  TraceWriteResult,
  TraceWriter,
  WriteOptions,
} from '@aitdr/conventions';
import { TraceAssembler, journalRecord } from '../../src/assembler/trace-assembler.js';
import { BackpressureError } from '../../src/assembler/intake-port.js';
import { MemoryJournal } from '../support/memory-journal.js';
import { protobufBody, queryTrace } from '../support/spans.js';

/** Writer that records each call; can be told to refuse or to hold writes open. */
class RecordingWriter implements TraceWriter {
  readonly writes: SpanRecord[][] = [];
  refuse = false;
  private readonly held: (() => void)[] = [];
  holdWrites = false;

  async writeTraces(spans: readonly SpanRecord[], _options?: WriteOptions): Promise<TraceWriteResult> {
    if (this.refuse) throw new SpoolFullError('store down and spool full');
    if (this.holdWrites) await new Promise<void>((resolve) => this.held.push(resolve));
    this.writes.push([...spans]);
    return { committed: 1, spooled: 0, parked: 0, deadLettered: 0 };
  }
  releaseHeld() {
    for (const resolve of this.held.splice(0)) resolve();
  }
  status(): RecorderStatus {
    throw new Error('not used');
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: { maxHeldSpans?: number; maxPendingTraces?: number; maxRoomWaitMs?: number } = {}) {
  let now = 0;
  const journal = new MemoryJournal();
  const writer = new RecordingWriter();
  const assembler = new TraceAssembler(writer, journal, {
    waitMs: 100,
    maxWaitMs: 1000,
    now: () => now,
    ...options,
  });
  const advance = async (ms: number) => {
    now += ms;
    assembler.tick();
    await settle();
  };
  const send = (spans: ReadableSpan[]) =>
    assembler.accept({ encoding: 'protobuf', body: protobufBody(spans), spans: spans.map(toSpanRecord) });
  return { journal, writer, assembler, advance, send };
}

const rootOf = (spans: ReadableSpan[]) => spans.filter((s) => s.parentSpanContext === undefined);
const childrenOf = (spans: ReadableSpan[]) => spans.filter((s) => s.parentSpanContext !== undefined);

describe('TraceAssembler', () => {
  it('writes a trace split over two requests once, after its root arrived and the wait passed', async () => {
    const { writer, journal, advance, send } = setup();
    const trace = queryTrace();
    await send(childrenOf(trace));
    await advance(500);
    expect(writer.writes).toEqual([]); // no root yet
    await send(rootOf(trace));
    await advance(50);
    expect(writer.writes).toEqual([]); // root in, wait not passed
    await advance(60);
    expect(writer.writes).toHaveLength(1);
    expect(writer.writes[0]!.map((s) => s.name).sort()).toEqual(trace.map((s) => s.name).sort());
    expect(journal.records.size).toBe(0);
  });

  it('writes a trace whose root never comes after the maximum wait, counted as incomplete', async () => {
    const { writer, assembler, advance, send } = setup();
    await send(childrenOf(queryTrace()));
    await advance(999);
    expect(writer.writes).toEqual([]);
    await advance(1);
    expect(writer.writes).toHaveLength(1);
    expect(assembler.status().releasedIncomplete).toBe(1);
  });

  it('writes late spans of a written trace after the wait, without waiting for a root', async () => {
    const { writer, assembler, advance, send } = setup();
    const trace = queryTrace();
    await send(rootOf(trace));
    await advance(100);
    await send(childrenOf(trace));
    await advance(100);
    expect(writer.writes.map((w) => w.length)).toEqual([1, 1]);
    expect(assembler.status().releasedIncomplete).toBe(0);
  });

  it('removes a journal record only once every trace in it was accepted', async () => {
    const { writer, journal, advance, send } = setup();
    const first = queryTrace('a');
    const second = queryTrace('b');
    await send([...first, ...childrenOf(second)]); // one record, two traces, one without its root
    await advance(100);
    expect(writer.writes).toHaveLength(1);
    expect(journal.records.size).toBe(1);
    await send(rootOf(second));
    await advance(100);
    expect(journal.records.size).toBe(0);
  });

  it('keeps a trace the writer refused, in memory and in the journal, and writes it later', async () => {
    const { writer, journal, assembler, advance, send } = setup();
    writer.refuse = true;
    await send(queryTrace());
    await advance(100);
    expect(writer.writes).toEqual([]);
    expect(journal.records.size).toBe(1);
    expect(assembler.status().traces).toBe(1);
    writer.refuse = false;
    await advance(100);
    expect(writer.writes).toHaveLength(1);
    expect(journal.records.size).toBe(0);
  });

  it('writes the oldest traces early, whole as far as they arrived, when held spans pass the bound', async () => {
    const { writer, send } = setup({ maxHeldSpans: 3 });
    await send(queryTrace('a'));
    await send(queryTrace('b'));
    await settle();
    expect(writer.writes).toHaveLength(1);
    expect(
      writer.writes[0]!.find((s) => s.attributes['text_to_sql.query.text'])?.attributes[
        'text_to_sql.query.text'
      ],
    ).toBe('a');
  });

  it('lets a request wait for room while too many traces are being written', async () => {
    const { writer, advance, send } = setup({ maxPendingTraces: 1, maxRoomWaitMs: 5000 });
    writer.holdWrites = true;
    await send(queryTrace());
    await advance(100);
    let accepted = false;
    const waiting = send(queryTrace()).then(() => (accepted = true));
    await settle();
    expect(accepted).toBe(false);
    writer.releaseHeld();
    await waiting;
    expect(accepted).toBe(true);
  });

  it('answers 429 while too many traces are being written, and 503 when the journal cannot keep a request', async () => {
    const { writer, journal, advance, send } = setup({ maxPendingTraces: 1, maxRoomWaitMs: 20 });
    writer.holdWrites = true;
    await send(queryTrace());
    await advance(100);
    await expect(send(queryTrace())).rejects.toMatchObject({ status: 429, retryAfterSeconds: 5 });
    writer.releaseHeld();
    await settle();
    journal.failAppends = true;
    const refused = send(queryTrace());
    await expect(refused).rejects.toBeInstanceOf(BackpressureError);
    await expect(refused).rejects.toMatchObject({
      status: 503,
      message: 'cannot keep traces: journal is full',
    });
  });

  it('answers 429 while the spans being written would pass the bound, and accepts once they are written', async () => {
    const { writer, assembler, advance, send } = setup({ maxHeldSpans: 5 });
    writer.holdWrites = true;
    await send(queryTrace()); // 2 spans, held
    await send(queryTrace()); // 4
    await advance(100); // being written now, still in memory
    expect(assembler.status()).toMatchObject({ spans: 0, pendingSpans: 4 });
    await expect(send(queryTrace())).rejects.toMatchObject({
      status: 429,
      message: 'store is behind: 4 spans being written',
    });
    writer.releaseHeld();
    await settle();
    await expect(send(queryTrace())).resolves.toBeUndefined();
  });

  it('replays what the journal holds on start', async () => {
    const journal = new MemoryJournal();
    const trace = queryTrace('left over from a crash');
    await journal.append(journalRecord('protobuf', protobufBody(trace)));
    const writer = new RecordingWriter();
    const assembler = new TraceAssembler(writer, journal, { waitMs: 0 });
    await assembler.start();
    assembler.tick();
    await settle();
    await assembler.close();
    expect(writer.writes).toHaveLength(1);
    expect(writer.writes[0]).toHaveLength(trace.length);
    expect(journal.records.size).toBe(0);
  });

  it('writes everything held on close and refuses requests after', async () => {
    const { writer, assembler, send } = setup();
    await send(childrenOf(queryTrace()));
    await assembler.close();
    expect(writer.writes).toHaveLength(1);
    await expect(send(queryTrace())).rejects.toMatchObject({ status: 503 });
  });
});
