/**
 * The one decode of an OTLP trace request body (decompressed) in either encoding: used by the
 * receivers for each request and by the assembler when it replays its journal.
 */
import { MalformedRequestError } from './decode-result.js';
import type { DecodedRequest } from './decode-result.js';
import { decodeJsonRequest } from './decode-json.js';
import { decodeProtobufRequest } from './decode-protobuf.js';
import type { OtlpEncoding } from './encode-response.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeTraceRequest(encoding: OtlpEncoding, body: Buffer): DecodedRequest {
  if (encoding === 'protobuf') return decodeProtobufRequest(body);
  // Refused like a protobuf string that is not UTF-8, rather than stored with U+FFFD in its place.
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new MalformedRequestError('body is not valid UTF-8 (OTLP/JSON is UTF-8 text)');
  }
  return decodeJsonRequest(text);
}
