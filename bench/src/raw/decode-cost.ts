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
import { cpuMsSince } from './raw-insert.js';

export interface DecodeCost {
  /** Uncompressed protobuf bytes per span, in requests of `batchSpans` spans. */
  readonly wireBytesPerSpan: number;
  /** protobufjs decoding the request message, CPU µs per span. */
  readonly messageUsPerSpan: number;
  /** The collector's decode of the request into span records, CPU µs per span. */
  readonly recordsUsPerSpan: number;
}

/** CPU µs per span of `decode` over every body, repeated until at least `minCpuMs` were spent. */
function usPerSpan(
  bodies: readonly Uint8Array[],
  spans: number,
  minCpuMs: number,
  decode: (body: Uint8Array) => unknown,
): number {
  for (const body of bodies) decode(body); // warm-up: code optimised, as in a running collector
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

export function decodeCost(spans: readonly ReadableSpan[], batchSpans: number, minCpuMs = 500): DecodeCost {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += batchSpans)
    bodies.push(protobufBody(spans.slice(i, i + batchSpans)));
  const wireBytes = bodies.reduce((sum, body) => sum + body.byteLength, 0);
  return {
    wireBytesPerSpan: wireBytes / spans.length,
    messageUsPerSpan: usPerSpan(bodies, spans.length, minCpuMs, (body) =>
      ExportTraceServiceRequestType.decode(body),
    ),
    recordsUsPerSpan: usPerSpan(bodies, spans.length, minCpuMs, (body) => decodeProtobufRequest(body)),
  };
}
