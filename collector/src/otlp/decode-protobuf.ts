/**
 * Decodes an `application/x-protobuf` ExportTraceServiceRequest into span records, read straight
 * from the wire bytes (see wire-spans.ts).
 */
import type { DecodedRequest } from './decode-result.js';
import { decodeWireRequest } from './wire-spans.js';

export function decodeProtobufRequest(body: Uint8Array): DecodedRequest {
  return decodeWireRequest(
    Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  );
}
