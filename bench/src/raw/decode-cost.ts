/**
 * The CPU the collector cannot avoid per span besides the insert: decoding the OTLP protobuf
 * request. Measured on the same spans, in requests of the clients' size: the message decode alone
 * (protobufjs, the collector's message types) is the anchor of the limit; the collector's decode
 * into span records (validation, portable text included) is shown beside it.
 *
 * Each round runs in a fresh process (decode-round.ts) given only the encoded bodies: measured in
 * the benchmark's own process, the decode was charged for collecting that process's heap (the
 * recorded spans, their rows, earlier runs' garbage) and read 42–59 µs per span in some runs
 * against 6–15 in others.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { protobufBody } from '../../../collector/test/support/spans.js';
import { forkSource } from '../harness/child-process.js';
import { median } from '../harness/figures.js';
import type { DecodeRoundMessage, DecodeRoundOptions } from './decode-round.js';

export interface DecodeCost {
  /** Uncompressed protobuf bytes per span, in requests of `batchSpans` spans. */
  readonly wireBytesPerSpan: number;
  /** protobufjs decoding the request message, CPU µs per span (median of the rounds). */
  readonly messageUsPerSpan: number;
  /** The collector's decode of the request into span records, CPU µs per span (median of the rounds). */
  readonly recordsUsPerSpan: number;
  /** Each round's figures, in the order measured. */
  readonly rounds: readonly { readonly messageUsPerSpan: number; readonly recordsUsPerSpan: number }[];
}

/** Rounds, each in a process of its own: a burst of load elsewhere then moves one round, not the figure. */
const ROUNDS = 5;

/** Writes the bodies length-prefixed (4 bytes, big-endian) into one file, read back by decode-round.ts. */
function writeBodies(path: string, bodies: readonly Uint8Array[]): void {
  const parts: Uint8Array[] = [];
  for (const body of bodies) {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(body.byteLength);
    parts.push(length, body);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** `minCpuMs`: CPU spent measuring each decode over all rounds (the warm-up comes on top). */
export async function decodeCost(
  spans: readonly ReadableSpan[],
  batchSpans: number,
  minCpuMs = 500,
): Promise<DecodeCost> {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < spans.length; i += batchSpans)
    bodies.push(protobufBody(spans.slice(i, i + batchSpans)));
  const wireBytes = bodies.reduce((sum, body) => sum + body.byteLength, 0);
  const directory = createTemporaryDirectory('aitdr-bench-decode-');
  try {
    const bodiesFile = join(directory.path, 'bodies.bin');
    writeBodies(bodiesFile, bodies);
    const rounds: { messageUsPerSpan: number; recordsUsPerSpan: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const child = forkSource<DecodeRoundMessage>('raw/decode-round.ts', {
        bodiesFile,
        spans: spans.length,
        minCpuMs: minCpuMs / ROUNDS,
        // Alternate which decode goes first, so neither always runs on the fresher heap.
        messageFirst: round % 2 === 0,
      } satisfies DecodeRoundOptions);
      const result = await child.next<DecodeRoundMessage>('measured');
      await child.exited;
      rounds.push({ messageUsPerSpan: result.messageUsPerSpan, recordsUsPerSpan: result.recordsUsPerSpan });
    }
    return {
      wireBytesPerSpan: wireBytes / spans.length,
      messageUsPerSpan: median(rounds.map((r) => r.messageUsPerSpan)),
      recordsUsPerSpan: median(rounds.map((r) => r.recordsUsPerSpan)),
      rounds,
    };
  } finally {
    directory.remove();
  }
}
