/**
 * Records kept on disk between reading the store and writing the files. Which file an example
 * goes to is known only once every row is read (its intent may be joined by a later one), so the
 * export writes each example here as it comes, keeps only its keys in memory, and reads the
 * records back in the same order once the split is decided.
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, rm } from 'node:fs/promises';
import { ChunkedFile } from './chunked-file.js';

const CHUNK_CHARS = 1 << 20;

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

  /** The records in the order they were added; the spool takes no more after this. */
  async *records(): AsyncIterable<T> {
    if (this.file !== undefined) await this.out.flush();
    await this.file?.close();
    this.file = undefined;
    let rest = '';
    for await (const chunk of createReadStream(this.path, { encoding: 'utf8', highWaterMark: CHUNK_CHARS })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        yield JSON.parse(text.slice(start, end)) as T;
        start = end + 1;
      }
      rest = text.slice(start);
    }
  }

  /** Deletes the file, whatever happened before. */
  async remove(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await rm(this.path, { force: true });
  }
}
