/**
 * A durable FIFO of opaque records on local disk: appends are fsync'd before they resolve, the
 * total is bounded in bytes, records are read back oldest first (also after a crash), and an
 * acknowledged prefix is removed. The exporter spools traces and parks feedback in it; the
 * collector journals its requests in it.
 *
 * Group commit, for every user alike: appends made while another operation is under way are
 * written together (one write, one fsync), each still all or none; acknowledgements made meanwhile
 * become one head write (one fsync) through the highest of them. A payload is written as given
 * (its parts one after the other): the spool makes no copy of its bytes.
 *
 * Layout of `directory`:
 * - `<first sequence>.seg`: segment files of frames `[u32 length][u64 sequence][u32 crc32][payload]`
 *   (spool-frames.ts); a new segment starts once the last reaches `segmentBytes`, and a segment is
 *   deleted once every record in it is acknowledged;
 * - `head`: the sequence of the oldest unacknowledged record (spool-head.ts);
 * - `lock`: the PID of the process using the spool (one process at a time: see directory-lock.ts).
 *
 * A crash can leave a torn frame at the end of the last segment; opening the spool truncates it
 * (that append had not resolved, so nobody was told it was kept).
 */
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { diag } from '@opentelemetry/api';
import { SpoolFullError } from '@aitdr/conventions';
import { lockDirectory } from './directory-lock.js';
import type { DirectoryLock } from './directory-lock.js';
import { HEADER_BYTES, payloadParts, scanFrames, writeAll, writeFrameHeader } from './spool-frames.js';
import type { SpoolPayload } from './spool-frames.js';
import { SpoolHead, fsyncDirectory } from './spool-head.js';

export type { SpoolPayload } from './spool-frames.js';

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

const SEGMENT_SUFFIX = '.seg';
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const log = diag.createComponentLogger({ namespace: '@aitdr/exporter/spool' });

/** Directories opened by this process, so a second open in the same process is refused too. */
const openDirectories = new Set<string>();

/** Appends waiting to be written together, each resolved with its sequences or rejected alone. */
interface AppendGroup {
  readonly entries: (readonly SpoolPayload[])[];
  written?: Promise<readonly (number[] | { readonly error: unknown })[]>;
}

export class DurableSpool {
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  /** The oldest unacknowledged record: its sequence and its byte offset in `segments[0]`. */
  private head = { sequence: 1, offset: 0 };
  private nextSequence = 1;
  private count = 0;
  private appendHandle: { segment: Segment; handle: FileHandle } | undefined;
  /** Where records appended or handed out by `read` end, so `acknowledge` need not scan. */
  private readonly ends = new Map<number, { segment: Segment; end: number }>();
  private exclusive: Promise<unknown> = Promise.resolve();
  private closed = false;
  private headFile: SpoolHead | undefined;
  private appendGroup: AppendGroup | undefined;
  private acknowledgeGroup: Promise<void> | undefined;
  /** The highest sequence acknowledged and not yet released. */
  private acknowledgeThrough = 0;
  private syncCount = 0;

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

  /** Fsyncs made since the spool was opened (appends, acknowledgements, new files): what group commit saves. */
  get syncs(): number {
    return this.syncCount;
  }

  /**
   * Appends the records durably (written and fsync'd when the promise resolves), all or none.
   * Rejects with `SpoolFullError` when they do not fit in `maxBytes`. Resolves with their sequences.
   * Appends made while the spool is busy share one write and one fsync. The bytes are written as
   * given, not copied: they must not change until the promise settles.
   */
  append(payloads: readonly SpoolPayload[]): Promise<number[]> {
    let group = this.appendGroup;
    if (group === undefined) {
      const started: AppendGroup = { entries: [] };
      started.written = this.serialized(() => {
        if (this.appendGroup === started) this.appendGroup = undefined;
        return this.writeGroup(started.entries);
      });
      this.appendGroup = group = started;
    }
    const index = group.entries.push(payloads) - 1;
    return group.written!.then((results) => {
      const result = results[index]!;
      if (!Array.isArray(result)) throw result.error;
      return result;
    });
  }

  /** Writes a group of appends with one fsync; an append that does not fit is refused alone. */
  private async writeGroup(
    entries: readonly (readonly SpoolPayload[])[],
  ): Promise<(number[] | { readonly error: unknown })[]> {
    const buffers: Uint8Array[] = [];
    let bytes = 0;
    let next = this.nextSequence;
    /** Where each written frame ends, from the start of this write. */
    const frameEnds: number[] = [];
    const results = entries.map((payloads): number[] | { error: unknown } => {
      const headers = Buffer.allocUnsafe(HEADER_BYTES * payloads.length);
      const frames: Uint8Array[] = [];
      const ends: number[] = [];
      let size = 0;
      payloads.forEach((payload, i) => {
        const parts = payloadParts(payload);
        const header = headers.subarray(i * HEADER_BYTES, (i + 1) * HEADER_BYTES);
        size += writeFrameHeader(header, next + i, parts);
        ends.push(bytes + size);
        frames.push(header, ...parts);
      });
      if (this.bytes + bytes + size > this.capacityBytes) {
        const error = new SpoolFullError(
          `spool ${this.directory} is full: ${this.bytes + bytes} of ${this.capacityBytes} bytes used, ${size} more needed`,
        );
        return { error };
      }
      buffers.push(...frames);
      frameEnds.push(...ends);
      bytes += size;
      next += payloads.length;
      return payloads.map((_, i) => next - payloads.length + i);
    });
    if (bytes === 0) return results;
    const { segment, handle } = await this.appendTarget();
    try {
      await writeAll(handle, buffers);
      await handle.datasync();
      this.syncCount += 1;
    } catch (error) {
      // Leave no partial frame behind a failed append (a full disk, say).
      await handle.truncate(segment.size).catch(() => undefined);
      return results.map((result) => (Array.isArray(result) ? { error } : result));
    }
    // Noted so that acknowledging them need not read the segment back to find where they end.
    frameEnds.forEach((end, i) => this.ends.set(this.nextSequence + i, { segment, end: segment.size + end }));
    segment.size += bytes;
    this.count += next - this.nextSequence;
    this.nextSequence = next;
    return results;
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

  /**
   * Removes every record up to and including `sequence`: they are done and will not be read again.
   * Acknowledgements made while the spool is busy become one head write (one fsync).
   */
  acknowledge(sequence: number): Promise<void> {
    this.acknowledgeThrough = Math.max(this.acknowledgeThrough, sequence);
    this.acknowledgeGroup ??= this.serialized(async () => {
      this.acknowledgeGroup = undefined;
      const wanted = this.acknowledgeThrough;
      try {
        await this.release(wanted);
      } catch (error) {
        // Nothing was forgotten; a later acknowledgement asks again for what it names.
        if (this.acknowledgeThrough === wanted) this.acknowledgeThrough = 0;
        throw error;
      }
    });
    return this.acknowledgeGroup;
  }

  private async release(sequence: number): Promise<void> {
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
    await this.headFile!.write(through + 1);
    this.count -= through - this.head.sequence + 1;
    // Every noted record is at or after the head: forget exactly the released ones.
    for (let released = this.head.sequence; released <= through; released++) this.ends.delete(released);
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
    this.syncCount += 1;
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

  private async recover(): Promise<void> {
    const { sequence: headSequence, head } = await SpoolHead.open(this.directory, () => {
      this.syncCount += 1;
    });
    this.headFile = head;
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
