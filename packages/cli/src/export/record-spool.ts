/**
 * Records kept on disk between reading the store and writing the files. Which file an example
 * goes to is known only once every row is read (its intent may be joined by a later one), so the
 * export writes each example here as it comes, keeps only its keys in memory, and reads the
 * records back in the same order once the split is decided.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, rm } from 'node:fs/promises';
import { ChunkedFile } from './chunked-file.js';

/** Bytes read per system call. */
const CHUNK_BYTES = 1 << 20;
const NEW_LINE = 0x0a;

export class RecordSpool<T> {
  private file: FileHandle | undefined;
  private readonly out: ChunkedFile;

  private constructor(
    readonly path: string,
    file: FileHandle,
  ) {
    this.file = file;
    this.out = new ChunkedFile(file);
  }

  static async create<T>(path: string): Promise<RecordSpool<T>> {
    return new RecordSpool<T>(path, await open(path, 'w'));
  }

  async add(record: T): Promise<void> {
    // JSON text holds no raw new line: one record per line.
    await this.out.add(`${JSON.stringify(record)}\n`);
  }

  /**
   * The records in the order they were added; the spool takes no more after this. Read into one
   * reused buffer and decoded a line at a time: decoding whole chunks made strings of a megabyte or
   * more, which V8 allocates in the old generation, where they stayed until a full collection
   * (most of the heap's growth while the files were written).
   */
  async *records(): AsyncIterable<T> {
    if (this.file !== undefined) await this.out.flush();
    await this.file?.close();
    this.file = undefined;
    const file = await open(this.path, 'r');
    try {
      let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      let filled = 0;
      for (;;) {
        if (filled === buffer.length) {
          // A record longer than the buffer: a larger one for it.
          const larger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(larger, 0, 0, filled);
          buffer = larger;
        }
        const { bytesRead } = await file.read(buffer, filled, buffer.length - filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        const data = buffer.subarray(0, filled);
        let start = 0;
        // No byte of a multi-byte UTF-8 character is a new line: lines are cut on bytes.
        for (let end = data.indexOf(NEW_LINE); end >= 0; end = data.indexOf(NEW_LINE, start)) {
          yield JSON.parse(data.toString('utf8', start, end)) as T;
          start = end + 1;
        }
        buffer.copy(buffer, 0, start, filled);
        filled -= start;
      }
    } finally {
      await file.close();
    }
  }

  /** Deletes the file, whatever happened before. */
  async remove(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await rm(this.path, { force: true });
  }
}
