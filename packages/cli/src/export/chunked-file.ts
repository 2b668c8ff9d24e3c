/**
 * Text appended to a file through one reused buffer: each piece is encoded (UTF-8) into the buffer
 * at once and written when the buffer is full. Holding the pieces as strings until a chunk was
 * full kept every line alive across several garbage collections, so the hundreds of megabytes of
 * an export's text were all promoted to the old generation and the heap grew to hold them; encoded
 * straight away, a line is garbage as soon as it is added.
 */
import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes written per system call, at most. */
export const CHUNK_BYTES = 1 << 20;

export class ChunkedFile {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  /** `hash`, when given, sees every byte written, in order. */
  constructor(
    readonly file: FileHandle,
    private readonly hash?: Hash,
  ) {}

  async add(text: string): Promise<void> {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    if (this.used + text.length * 3 > CHUNK_BYTES) {
      await this.flush();
      if (text.length * 3 > CHUNK_BYTES) {
        await this.writeAll(Buffer.from(text));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used);
  }

  /** Appends bytes already encoded (copied into the buffer, or written at once when larger). */
  async addBytes(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > CHUNK_BYTES) {
      await this.flush();
      if (bytes.length > CHUNK_BYTES) {
        await this.writeAll(bytes);
        return;
      }
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    this.used = 0;
    await this.writeAll(bytes);
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    this.hash?.update(bytes);
    for (let written = 0; written < bytes.length;) {
      const { bytesWritten } = await this.file.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
  }
}
