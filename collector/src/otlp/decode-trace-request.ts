/**
 * The one decode of an OTLP trace request body (decompressed) in either encoding: used by the
 * receivers for each request and by the assembler when it replays its journal.
 */
import { MalformedRequestError } from './decode-result.js';
import type { DecodedRequest } from './decode-result.js';
import { decodeJsonRequest } from './decode-json.js';
import { decodeProtobufRequest } from './decode-protobuf.js';
import type { OtlpEncoding } from './encode-response.js';
import { WireSpans, scanProtobufRequest } from './wire-spans.js';
import type { SpanRecord } from '@aitdr/conventions';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeTraceRequest(encoding: OtlpEncoding, body: Buffer): DecodedRequest {
  if (encoding === 'protobuf') return decodeProtobufRequest(body);
  return decodeJsonText(body);
}

/** A request's valid spans as the assembler holds them: protobuf spans as bytes, JSON ones as records. */
export type IntakeSpans = readonly SpanRecord[] | WireSpans;

/** The records of intake spans (decoding those held as bytes). */
export function intakeRecords(spans: IntakeSpans): readonly SpanRecord[] {
  return spans instanceof WireSpans ? spans.records() : spans;
}

/** What intake learns of a request: its valid spans (validated as the full decode does) and its rejections. */
export interface ScannedTraceRequest {
  readonly spans: IntakeSpans;
  readonly rejected: number;
  readonly reasons: readonly string[];
}

/**
 * The intake's read of a request: the same validation and rejections as `decodeTraceRequest`, but
 * a protobuf request's spans stay bytes, to be decoded into records when their trace is written.
 */
export function scanTraceRequest(encoding: OtlpEncoding, body: Buffer): ScannedTraceRequest {
  if (encoding === 'protobuf') return scanProtobufRequest(body);
  return decodeJsonText(body);
}

function decodeJsonText(body: Buffer): DecodedRequest {
  // Refused like a protobuf string that is not UTF-8, rather than stored with U+FFFD in its place.
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new MalformedRequestError('body is not valid UTF-8 (OTLP/JSON is UTF-8 text)');
  }
  return decodeJsonRequest(text);
}
