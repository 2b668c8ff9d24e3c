/**
 * A request body encoded once and sent many times as distinct traces: the batch's traces are
 * encoded (the official exporter's protobuf serializer) under placeholder trace IDs, whose byte
 * offsets in the body are found once; each copy gets fresh random IDs written at those offsets.
 * So a load sender pays a copy and a few random bytes per request instead of building and
 * serializing spans (the OpenTelemetry Collector's testbed pre-generates its load likewise).
 * Span IDs are kept, as retrace.ts keeps them: a row's key is the trace ID with the span ID.
 */
import { randomFillSync } from 'node:crypto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { protobufBody } from '../../../collector/test/support/spans.js';
import { newTraceId, retrace } from './retrace.js';

export class EncodedBatch {
  readonly spans: number;
  readonly traces: number;
  private readonly body: Buffer;
  /** For each trace of the batch, where its trace ID's 16 bytes are in the body. */
  private readonly offsets: readonly (readonly number[])[];

  /** `traces`: each trace's spans, under any IDs (they are replaced). */
  constructor(traces: readonly (readonly ReadableSpan[])[]) {
    const placeholders = traces.map(() => newTraceId());
    const spans = traces.flatMap((trace, i) => retrace(trace, placeholders[i]!));
    this.body = protobufBody(spans);
    this.spans = spans.length;
    this.traces = traces.length;
    this.offsets = placeholders.map((id) => {
      const needle = Buffer.from(id, 'hex');
      const found: number[] = [];
      for (let at = this.body.indexOf(needle); at >= 0; at = this.body.indexOf(needle, at + 1))
        found.push(at);
      if (found.length === 0) throw new Error('trace ID not found in the encoded body');
      return found;
    });
  }

  /** A copy of the body whose traces have IDs never sent before. */
  next(): Buffer {
    const copy = Buffer.from(this.body);
    const id = Buffer.allocUnsafe(16);
    for (const offsets of this.offsets) {
      randomFillSync(id);
      for (const at of offsets) id.copy(copy, at);
    }
    return copy;
  }

  get byteLength(): number {
    return this.body.byteLength;
  }
}
