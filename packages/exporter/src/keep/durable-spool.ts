/**
 * A durable FIFO of opaque records on local disk: appends are fsync'd before they resolve, the
 * total is bounded in bytes, records are read back oldest first (also after a crash), and an
 * acknowledged prefix is removed. The exporter spools traces and parks feedback in it; the
 * collector can use it as its intake journal.
 *
 * Layout of `directory`:
 * - `<first sequence>.seg`: segment files of frames `[u32 length][u64 sequence][u32 crc32][payload]`;
 *   a new segment starts once the last reaches `segmentBytes`, and a segment is deleted once
 *   every record in it is acknowledged;
 * - `head.json`: the sequence of the oldest unacknowledged record (written atomically);
 * - `lock`: the PID of the process using the spool (one process at a time: see directory-lock.ts).
 *
 * A crash can leave a torn frame at the end of the last segment; opening the spool truncates it
 * (that append had not resolved, so nobody was told it was kept).
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { SpoolFullError } from '@aitdr/conventions';
import { lockDirectory } from './directory-lock.js';
import type { DirectoryLock } from './directory-lock.js';

export interface DurableSpoolOptions {
  /** Directory of the spool's files; created when missing. Used by one process at a time. */
  readonly directory: string;
  /** Most bytes of unacknowledged records (framing included); an append beyond it is refused with `SpoolFullError`. */
  readonly maxBytes: number;
  /** Size at which the next append starts a new segment file. Default 16 MiB. */
  readonly segmentBytes?: number;
}

export interface SpoolRecord {
  /** Position in the spool: increases by one per record, never reused. */
  readonly sequence: number;
  readonly data: Buffer;
}

interface Segment {
  readonly path: string;
  readonly firstSequence: number;
  size: number;
}

const HEADER_BYTES = 16;
const SEGMENT_SUFFIX = '.seg';
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const log = diag.createComponentLogger({ namespace: '@aitdr/exporter/spool' });

/** Directories opened by this process, so a second open in the same process is refused too. */
const openDirectories = new Set<string>();

function frame(sequence: number, payload: Buffer): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  buffer.writeUInt32LE(payload.length, 0);
  buffer.writeBigUInt64LE(BigInt(sequence), 4);
  payload.copy(buffer, HEADER_BYTES);
  buffer.writeUInt32LE(checksum(buffer.subarray(0, 12), payload), 12);
  return buffer;
}

function checksum(header: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(header));
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
  if (checksum(buffer.subarray(offset, offset + 12), payload) !== buffer.readUInt32LE(offset + 12))
    return undefined;
  return { sequence: Number(buffer.readBigUInt64LE(offset + 4)), payload, end };
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class DurableSpool {
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  /** The oldest unacknowledged record: its sequence and its byte offset in `segments[0]`. */
  private head = { sequence: 1, offset: 0 };
  private nextSequence = 1;
  private count = 0;
  private appendHandle: { segment: Segment; handle: FileHandle } | undefined;
  /** Where records handed out by `read` end, so `acknowledge` need not scan. */
  private readonly ends = new Map<number, { segment: Segment; end: number }>();
  private exclusive: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly directory: string,
    readonly capacityBytes: number,
    segmentBytes: number,
    private readonly lock: DirectoryLock,
  ) {
    this.segmentBytes = segmentBytes;
  }

  /** Opens (or creates) the spool in `options.directory`, recovering what a crash left. */
  static async open(options: DurableSpoolOptions): Promise<DurableSpool> {
    const directory = resolve(options.directory);
    await mkdir(directory, { recursive: true });
    if (openDirectories.has(directory)) throw new Error(`spool ${directory} is already open in this process`);
    openDirectories.add(directory);
    let lock: DirectoryLock;
    try {
      lock = await lockDirectory(directory);
    } catch (error) {
      openDirectories.delete(directory);
      throw error;
    }
    const spool = new DurableSpool(
      directory,
      options.maxBytes,
      options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      lock,
    );
    try {
      await spool.recover();
    } catch (error) {
      await spool.releaseLock();
      throw error;
    }
    return spool;
  }

  /** Bytes of unacknowledged records on disk. */
  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0) - this.head.offset;
  }

  /** Unacknowledged records. */
  get records(): number {
    return this.count;
  }

  /**
   * Appends the records durably (written and fsync'd when the promise resolves), all or none.
   * Rejects with `SpoolFullError` when they do not fit in `maxBytes`. Resolves with their sequences.
   */
  append(payloads: readonly (string | Uint8Array)[]): Promise<number[]> {
    return this.serialized(async () => {
      const first = this.nextSequence;
      const frames = payloads.map((payload, i) =>
        frame(first + i, typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload)),
      );
      const buffer = Buffer.concat(frames);
      if (this.bytes + buffer.length > this.capacityBytes) {
        throw new SpoolFullError(
          `spool ${this.directory} is full: ${this.bytes} of ${this.capacityBytes} bytes used, ${buffer.length} more needed`,
        );
      }
      const { segment, handle } = await this.appendTarget();
      try {
        for (let written = 0; written < buffer.length;) {
          const { bytesWritten } = await handle.write(buffer, written, buffer.length - written, null);
          written += bytesWritten;
        }
        await handle.datasync();
      } catch (error) {
        // Leave no partial frame behind a failed append (a full disk, say).
        await handle.truncate(segment.size).catch(() => undefined);
        throw error;
      }
      segment.size += buffer.length;
      this.count += payloads.length;
      this.nextSequence += payloads.length;
      return payloads.map((_, i) => first + i);
    });
  }

  /** The oldest unacknowledged records, in order, up to `records` of them and about `bytes` bytes (at least one). */
  read(limits: { readonly records?: number; readonly bytes?: number } = {}): Promise<SpoolRecord[]> {
    const maxRecords = limits.records ?? Number.POSITIVE_INFINITY;
    const maxBytes = limits.bytes ?? Number.POSITIVE_INFINITY;
    return this.serialized(async () => {
      const records: SpoolRecord[] = [];
      let bytes = 0;
      for (const [index, segment] of this.segments.entries()) {
        const start = index === 0 ? this.head.offset : 0;
        let full = false;
        const stop = await scanFrames(segment.path, start, segment.size, (frame) => {
          full =
            records.length >= maxRecords || (records.length > 0 && bytes + frame.payload.length > maxBytes);
          if (full) return false;
          records.push({ sequence: frame.sequence, data: Buffer.from(frame.payload) });
          bytes += frame.payload.length;
          this.ends.set(frame.sequence, { segment, end: frame.end });
          return true;
        });
        if (full) break;
        if (stop < segment.size) throw new Error(`spool segment ${segment.path} is corrupt at byte ${stop}`);
      }
      return records;
    });
  }

  /** Removes every record up to and including `sequence`: they are done and will not be read again. */
  acknowledge(sequence: number): Promise<void> {
    return this.serialized(async () => {
      const through = Math.min(sequence, this.nextSequence - 1);
      if (through < this.head.sequence) return;
      const position = this.ends.get(through) ?? (await this.locate(through));
      let index = this.segments.indexOf(position.segment);
      let offset = position.end;
      if (offset >= position.segment.size && index < this.segments.length - 1) {
        // The head is at the end of a full segment: it starts the next one, and this one is done.
        index += 1;
        offset = 0;
      }
      // The new head is made durable before anything is forgotten: when it cannot be written (a
      // full disk), the spool stays exactly as it was and the records are read again.
      await this.writeHead(through + 1);
      this.count -= through - this.head.sequence + 1;
      for (const key of this.ends.keys()) if (key <= through) this.ends.delete(key);
      const done = this.segments.slice(0, index);
      this.segments = this.segments.slice(index);
      this.head = { sequence: through + 1, offset };
      if (this.count === 0) {
        // Everything is done: drop every segment; the next append starts a fresh one.
        done.push(...this.segments);
        this.segments = [];
        this.head = { sequence: through + 1, offset: 0 };
      }
      for (const segment of done) {
        if (this.appendHandle?.segment === segment) {
          await this.appendHandle.handle.close();
          this.appendHandle = undefined;
        }
        await unlink(segment.path);
      }
    });
  }

  /** Closes the files and releases the directory; pending operations finish first. */
  close(): Promise<void> {
    return this.serialized(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.appendHandle?.handle.close();
      this.appendHandle = undefined;
      await this.releaseLock();
    });
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(() => {
      if (this.closed) throw new Error(`spool ${this.directory} is closed`);
      return operation();
    });
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  private async appendTarget(): Promise<{ segment: Segment; handle: FileHandle }> {
    const last = this.segments.at(-1);
    if (last !== undefined && last.size < this.segmentBytes) {
      if (this.appendHandle?.segment !== last) {
        await this.appendHandle?.handle.close();
        this.appendHandle = { segment: last, handle: await open(last.path, 'a') };
      }
      return this.appendHandle;
    }
    await this.appendHandle?.handle.close();
    const segment: Segment = {
      path: join(this.directory, `${String(this.nextSequence).padStart(16, '0')}${SEGMENT_SUFFIX}`),
      firstSequence: this.nextSequence,
      size: 0,
    };
    const handle = await open(segment.path, 'a');
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    await fsyncDirectory(this.directory);
    this.segments.push(segment);
    if (this.segments.length === 1) this.head = { sequence: this.head.sequence, offset: 0 };
    this.appendHandle = { segment, handle };
    return this.appendHandle;
  }

  /** Finds where record `sequence` ends by scanning from the head. */
  private async locate(sequence: number): Promise<{ segment: Segment; end: number }> {
    for (const [index, segment] of this.segments.entries()) {
      let end: number | undefined;
      await scanFrames(segment.path, index === 0 ? this.head.offset : 0, segment.size, (frame) => {
        if (frame.sequence === sequence) end = frame.end;
        return end === undefined;
      });
      if (end !== undefined) return { segment, end };
    }
    throw new Error(`spool ${this.directory} has no record ${sequence}`);
  }

  private async writeHead(sequence: number): Promise<void> {
    const path = join(this.directory, 'head.json');
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify({ sequence }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    await fsyncDirectory(this.directory);
  }

  private async recover(): Promise<void> {
    const headSequence = await readHead(this.directory);
    const names = (await readdir(this.directory)).filter((name) => name.endsWith(SEGMENT_SUFFIX)).sort();
    let lastSequence = headSequence - 1;
    let headOffsetInFirst = 0;
    for (const [index, name] of names.entries()) {
      const path = join(this.directory, name);
      const size = (await stat(path)).size;
      let headOffset: number | undefined;
      let live = 0;
      const offset = await scanFrames(path, 0, size, (frame) => {
        if (frame.sequence >= headSequence) {
          headOffset ??= frame.start;
          live += 1;
          lastSequence = Math.max(lastSequence, frame.sequence);
        }
        return true;
      });
      if (offset < size) {
        // A torn frame from a crash mid-append; nothing after it was ever acknowledged to a caller.
        const where = index === names.length - 1 ? 'at its end' : 'before its end';
        log.warn(`spool segment ${path}: dropping ${size - offset} bytes of an incomplete write ${where}`);
        const handle = await open(path, 'r+');
        try {
          await handle.truncate(offset);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      if (live === 0) {
        await unlink(path);
        continue;
      }
      const segment: Segment = {
        path,
        firstSequence: Number(name.slice(0, -SEGMENT_SUFFIX.length)),
        size: offset,
      };
      if (this.segments.length === 0) headOffsetInFirst = headOffset ?? 0;
      this.segments.push(segment);
      this.count += live;
    }
    this.head = { sequence: headSequence, offset: headOffsetInFirst };
    this.nextSequence = Math.max(lastSequence + 1, headSequence);
  }

  private async releaseLock(): Promise<void> {
    await this.lock.release();
    openDirectories.delete(this.directory);
  }
}

async function readHead(directory: string): Promise<number> {
  try {
    const { sequence } = JSON.parse(await readFile(join(directory, 'head.json'), 'utf8')) as {
      sequence: number;
    };
    return Number.isSafeInteger(sequence) && sequence > 0 ? sequence : 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 1;
    throw error;
  }
}

/** Bytes read at once while scanning a segment; a larger frame is read whole. */
const READ_CHUNK_BYTES = 1024 * 1024;

interface ScannedFrame {
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
async function scanFrames(
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
