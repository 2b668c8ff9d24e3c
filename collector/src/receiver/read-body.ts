/**
 * Reads a request body with a byte cap that holds after decompression too, so a small gzip
 * body that inflates to gigabytes (a "gzip bomb") is refused once the cap is passed, having
 * used at most the cap in memory.
 */
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes (after decompression)`);
  }
}

export class UnsupportedEncodingError extends Error {}

export class CorruptBodyError extends Error {}

function decompressorFor(encoding: string | undefined) {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
    case '':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    default:
      throw new UnsupportedEncodingError(`Content-Encoding ${encoding} is not supported (use gzip or none)`);
  }
}

/** Collects the body, decompressed, or rejects with BodyTooLargeError past `limit` bytes. */
export async function readBody(
  source: Readable,
  contentEncoding: string | undefined,
  limit: number,
): Promise<Buffer> {
  const decompressor = decompressorFor(contentEncoding);
  const stream = decompressor ? source.pipe(decompressor) : source;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Leaving the loop early must not destroy the request: its connection carries the answer.
    for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new BodyTooLargeError(limit);
      chunks.push(chunk);
    }
  } catch (error) {
    if (decompressor) {
      source.unpipe(decompressor);
      decompressor.destroy();
    }
    if (error instanceof BodyTooLargeError) throw error;
    if (decompressor && (error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw new CorruptBodyError(`body is not valid ${contentEncoding} data: ${(error as Error).message}`);
    }
    throw error;
  }
  return Buffer.concat(chunks, size);
}
