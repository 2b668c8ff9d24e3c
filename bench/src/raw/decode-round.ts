/**
 * One round of the decode anchor (decode-cost.ts), in a process of its own: reads the encoded
 * bodies, warms both decodes up until V8 has optimised them, then measures each over every body,
 * repeated until `minCpuMs` of CPU were spent, and reports CPU µs per span to the parent.
 */
import { readFileSync } from 'node:fs';
import { decodeProtobufRequest } from '../../../collector/src/otlp/decode-protobuf.js';
import { ExportTraceServiceRequestType } from '../../../collector/src/otlp/trace-proto.js';
import { childArgument, tellParent } from '../harness/child-process.js';
import { cpuMsSince } from './raw-insert.js';

export interface DecodeRoundOptions {
  readonly bodiesFile: string;
  /** Spans in all the bodies together. */
  readonly spans: number;
  readonly minCpuMs: number;
  readonly messageFirst: boolean;
}

export type DecodeRoundMessage = {
  type: 'measured';
  messageUsPerSpan: number;
  recordsUsPerSpan: number;
};

/** Warm-up per decode, CPU ms, and at least this many passes: tiers up the decoders (and their shapes) first. */
const WARM_UP_MS = 150;
const WARM_UP_PASSES = 3;

function readBodies(path: string): Uint8Array[] {
  const file = readFileSync(path);
  const bodies: Uint8Array[] = [];
  for (let at = 0; at < file.byteLength;) {
    const length = file.readUInt32BE(at);
    // A copy per body, as each request arrives in a buffer of its own.
    bodies.push(Uint8Array.prototype.slice.call(file, at + 4, at + 4 + length));
    at += 4 + length;
  }
  return bodies;
}

/** Passes of `decode` over every body until at least `minCpuMs` (and `minPasses`) were spent; CPU ms per pass. */
function cpuMsPerPass(
  bodies: readonly Uint8Array[],
  minCpuMs: number,
  minPasses: number,
  decode: (body: Uint8Array) => unknown,
): number {
  const cpu = process.cpuUsage();
  let passes = 0;
  let spent = 0;
  while (spent < minCpuMs || passes < minPasses) {
    for (const body of bodies) decode(body);
    passes += 1;
    spent = cpuMsSince(cpu);
  }
  return spent / passes;
}

const options = childArgument<DecodeRoundOptions>();
const bodies = readBodies(options.bodiesFile);
const message = (body: Uint8Array) => ExportTraceServiceRequestType.decode(body);
const records = (body: Uint8Array) => decodeProtobufRequest(body);
cpuMsPerPass(bodies, WARM_UP_MS, WARM_UP_PASSES, message);
cpuMsPerPass(bodies, WARM_UP_MS, WARM_UP_PASSES, records);
const measure = (decode: (body: Uint8Array) => unknown) =>
  (1000 * cpuMsPerPass(bodies, options.minCpuMs, 1, decode)) / options.spans;
let messageUsPerSpan: number;
let recordsUsPerSpan: number;
if (options.messageFirst) {
  messageUsPerSpan = measure(message);
  recordsUsPerSpan = measure(records);
} else {
  recordsUsPerSpan = measure(records);
  messageUsPerSpan = measure(message);
}
tellParent({ type: 'measured', messageUsPerSpan, recordsUsPerSpan } satisfies DecodeRoundMessage);
process.disconnect();
