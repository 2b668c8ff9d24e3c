/**
 * The durable spool's record frames on disk, `[u32 length][u64 sequence][u32 crc32][payload]`:
 * building them without copying a payload (the header is separate, the payload's parts are
 * written as they are) and scanning them back from a segment file.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** A record's payload: text, bytes, or bytes in parts (written one after the other, never joined in memory). */
export type SpoolPayload = string | Uint8Array | readonly Uint8Array[];

export const HEADER_BYTES = 16;

/** The payload as the byte arrays written: text is encoded once; bytes are not copied. */
export function payloadParts(payload: SpoolPayload): readonly Uint8Array[] {
  if (typeof payload === 'string') return [Buffer.from(payload)];
  return payload instanceof Uint8Array ? [payload] : payload;
}

/** The frame header of a payload made of `parts`, written into `header` (16 bytes). */
export function writeFrameHeader(header: Buffer, sequence: number, parts: readonly Uint8Array[]): number {
  const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
  header.writeUInt32LE(length, 0);
  header.writeBigUInt64LE(BigInt(sequence), 4);
  let crc = crc32(header.subarray(0, 12));
  for (const part of parts) crc = crc32(part, crc);
  header.writeUInt32LE(crc, 12);
  return HEADER_BYTES + length;
}

/** Writes every byte of `buffers` at the end of the file (a short write is continued). */
export async function writeAll(handle: FileHandle, buffers: readonly Uint8Array[]): Promise<void> {
  const rest = [...buffers];
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.byteLength) bytesWritten -= rest.shift()!.byteLength;
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}

interface ParsedFrame {
  readonly sequence: number;
  readonly payload: Buffer;
  readonly end: number;
}

/** The frame at `offset` of `buffer`, or undefined when it is incomplete or corrupt. */
function parseFrame(buffer: Buffer, offset: number): ParsedFrame | undefined {
  if (offset + HEADER_BYTES > buffer.length) return undefined;
  const length = buffer.readUInt32LE(offset);
  const end = offset + HEADER_BYTES + length;
  if (end > buffer.length) return undefined;
  const payload = buffer.subarray(offset + HEADER_BYTES, end);
  if (crc32(payload, crc32(buffer.subarray(offset, offset + 12))) !== buffer.readUInt32LE(offset + 12))
    return undefined;
  return { sequence: Number(buffer.readBigUInt64LE(offset + 4)), payload, end };
}

/** Bytes read at once while scanning a segment; a larger frame is read whole. */
const READ_CHUNK_BYTES = 1024 * 1024;

export interface ScannedFrame {
  readonly sequence: number;
  readonly payload: Buffer;
  /** Byte offsets of the frame in its segment file. */
  readonly start: number;
  readonly end: number;
}

/**
 * Visits the valid frames of `path` from byte `start` to `end`, reading a chunk at a time (memory
 * stays bounded by the chunk or the largest frame), until `visit` returns false or a frame is
 * incomplete or corrupt. Returns the offset where it stopped.
 */
export async function scanFrames(
  path: string,
  start: number,
  end: number,
  visit: (frame: ScannedFrame) => boolean,
): Promise<number> {
  if (start >= end) return start;
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.alloc(0);
    let bufferStart = start;
    let offset = start;
    const ensure = async (bytes: number) => {
      if (offset - bufferStart + bytes <= buffer.length) return true;
      const length = Math.min(Math.max(READ_CHUNK_BYTES, bytes), end - offset);
      buffer = Buffer.allocUnsafe(length);
      bufferStart = offset;
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      buffer = buffer.subarray(0, read);
      return bytes <= read;
    };
    while (offset < end) {
      if (!(await ensure(HEADER_BYTES))) break;
      const frameBytes = HEADER_BYTES + buffer.readUInt32LE(offset - bufferStart);
      if (!(await ensure(frameBytes))) break;
      const parsed = parseFrame(buffer, offset - bufferStart);
      if (parsed === undefined) break;
      const frame = {
        sequence: parsed.sequence,
        payload: parsed.payload,
        start: offset,
        end: offset + frameBytes,
      };
      if (!visit(frame)) return offset;
      offset = frame.end;
    }
    return offset;
  } finally {
    await handle.close();
  }
}
