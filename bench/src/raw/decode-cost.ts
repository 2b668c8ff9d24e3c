/**
 * The CPU the collector cannot avoid per span besides the insert: decoding the OTLP protobuf
 * request. Measured in this process on the same spans, in requests of the clients' size: the
 * message decode alone (protobufjs, the collector's message types) is the anchor of the limit;
 * the collector's decode into span records (validation, portable text included) is shown beside it.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeProtobufRequest } from '../../../collector/src/otlp/decode-protobuf.js';
import { ExportTraceServiceRequestType } from '../../../collector/src/otlp/trace-proto.js';
import { protobufBody } from '../../../collector/test/support/spans.js';
import { median } from '../harness/figures.js';
import { cpuMsSince } from './raw-insert.js';

export interface DecodeCost {
  /** Uncompressed protobuf bytes per span, in requests of `batchSpans` spans. */
  readonly wireBytesPerSpan: number;
  /** protobufjs decoding the request message, CPU µs per span. */
  readonly messageUsPerSpan: number;
  /** The collector's decode of the request into span records, CPU µs per span. */
  readonly recordsUsPerSpan: number;
}

/** CPU µs per span of one pass of `decode` over every body, repeated until at least `minCpuMs` were spent. */
function usPerSpan(
  bodies: readonly Uint8Array[],
  spans: number,
  minCpuMs: number,
  decode: (body: Uint8Array) => unknown,
): number {
  const cpu = process.cpuUsage();
  let passes = 0;
  let spent = 0;
  while (spent < minCpuMs) {
    for (const body of bodies) decode(body);
    passes += 1;
    spent = cpuMsSince(cpu);
  }
  return (1000 * spent) / (passes * spans);
}

/** Rounds of the two decodes, taken in turn: a burst of load elsewhere then moves one round, not the figure. */
const ROUNDS = 5;

export function decodeCost(spans: readonly ReadableSpan[], batchSpans: number, minCpuMs = 500): DecodeCost {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += batchSpans)
    bodies.push(protobufBody(spans.slice(i, i + batchSpans)));
  const wireBytes = bodies.reduce((sum, body) => sum + body.byteLength, 0);
  const message = (body: Uint8Array) => ExportTraceServiceRequestType.decode(body);
  const records = (body: Uint8Array) => decodeProtobufRequest(body);
  // Warm-up: code optimised, as in a running collector.
  for (const body of bodies) {
    message(body);
    records(body);
  }
  const messageRounds: number[] = [];
  const recordsRounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    messageRounds.push(usPerSpan(bodies, spans.length, minCpuMs / ROUNDS, message));
    recordsRounds.push(usPerSpan(bodies, spans.length, minCpuMs / ROUNDS, records));
  }
  return {
    wireBytesPerSpan: wireBytes / spans.length,
    messageUsPerSpan: median(messageRounds),
    recordsUsPerSpan: median(recordsRounds),
  };
}
