/**
 * The protobuf trace decode, read straight from the wire bytes (no protobufjs message in between),
 * in two steps so that held spans cost little more than their wire size:
 *
 * - `scanProtobufRequest`, at intake: walks the request once, validates every span exactly as the
 *   full decode does (same rejections, same reasons), decodes each ResourceSpans' resource and
 *   each ScopeSpans' scope once (shared by their spans), and notes per span only its byte range,
 *   its trace ID and whether it is a root. The spans stay bytes.
 * - `decodeWireSpan`, when a trace is released: builds the span's `SpanRecord` from its bytes.
 *
 * It follows protobufjs's reading rules (the decoder the collector used before, and which the
 * tests compare it with): known fields are read by field number whatever their wire type, the last
 * occurrence of a singular field wins, unknown fields are skipped by wire type, strings are UTF-8
 * with U+FFFD for invalid bytes, and a oneof reports the member whose first occurrence came last.
 */
import type { Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_STAGE, portableAttributes, wellFormed } from '@aitdr/conventions';
import type { SpanEventRecord, SpanLinkRecord, SpanRecord } from '@aitdr/conventions';
import { DecodeCollector, MalformedRequestError } from './decode-result.js';
import type { DecodedRequest } from './decode-result.js';
import { InvalidSpanError, MAX_VALUE_DEPTH, int64Value, scopeOf, setAttribute } from './span-builder.js';
import type { DecodedValue, SpanOrigin } from './span-builder.js';

/** Thrown for bytes that are not protobuf; becomes the request's MalformedRequestError. */
class WireError extends Error {}

const TOO_DEEP = `attribute value nested deeper than ${MAX_VALUE_DEPTH}`;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A cursor over a buffer; `pos` is the next byte. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint's low 32 bits (as protobufjs's uint32), unsigned. */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new WireError(`index out of range: ${pos} + 1 > ${this.end}`);
      const byte = buf[pos++]!;
      if (shift < 32) value |= (byte & 0x7f) << shift;
      shift += 7;
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new WireError('invalid varint encoding');
  }

  /** A varint as two unsigned 32-bit halves; sets `hi` and returns the low half. */
  hi = 0;
  varint64(): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new WireError(`index out of range: ${pos} + 1 > ${this.end}`);
      const byte = buf[pos++]!;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >> 4;
      } else hi |= bits << (7 * i - 32);
      if (byte < 0x80) {
        this.pos = pos;
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    throw new WireError('invalid varint encoding');
  }

  /** Sets `hi` and returns the low half of a little-endian 64-bit value. */
  fixed64(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    this.hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return lo;
  }

  double(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A length-delimited field: its start, with `pos` moved past it (returned end in `lenEnd`). */
  lenEnd = 0;
  delimited(): number {
    const length = this.uint32();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    this.lenEnd = this.pos;
    return start;
  }

  string(): string {
    const start = this.delimited();
    return this.buf.toString('utf8', start, this.lenEnd);
  }

  private need(length: number): void {
    if (this.pos + length > this.end)
      throw new WireError(`index out of range: ${this.pos} + ${length} > ${this.end}`);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.uint32();
        return;
      case 1:
        this.need(8);
        this.pos += 8;
        return;
      case 2:
        this.delimited();
        return;
      case 3:
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === 4) return;
          this.skip(tag & 7);
        }
      case 5:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }
}

// --- Attribute values -------------------------------------------------------------------------

// AnyValue members by field number (1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes).

/** Decodes an AnyValue at `[start, end)` (depth checked as the full decode does). */
function anyValue(buf: Buffer, start: number, end: number, depth: number): DecodedValue {
  if (depth > MAX_VALUE_DEPTH) throw new InvalidSpanError(TOO_DEEP);
  const r = new Reader(buf, start, end);
  // protobufjs's oneof: of the members present, the one whose first occurrence came last is
  // reported; its value is its last occurrence.
  let seen = 0;
  let member = 0;
  let valueStart = 0;
  let valueEnd = 0;
  let scalar: DecodedValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field < 1 || field > 7) {
      r.skip(tag & 7);
      continue;
    }
    const bit = 1 << field;
    const current = (seen & bit) === 0 || member === field;
    if ((seen & bit) === 0) {
      seen |= bit;
      member = field;
    }
    switch (field) {
      case 1: {
        const s = r.string();
        if (current) scalar = s;
        break;
      }
      case 2: {
        const b = r.uint32() !== 0;
        if (current) scalar = b;
        break;
      }
      case 3: {
        const lo = r.varint64();
        if (current) scalar = int64Of(lo, r.hi);
        break;
      }
      case 4: {
        const d = r.double();
        if (current) scalar = d;
        break;
      }
      default: {
        const s = r.delimited();
        if (current) {
          valueStart = s;
          valueEnd = r.lenEnd;
        }
      }
    }
  }
  switch (member) {
    case 0:
      return null;
    case 5:
      return arrayValue(buf, valueStart, valueEnd, depth);
    case 6:
      return kvlistValue(buf, valueStart, valueEnd, depth);
    case 7:
      return buf.toString('base64', valueStart, valueEnd);
    default:
      return scalar;
  }
}

function int64Of(lo: number, hi: number): number | string {
  // Non-negative below 2^53: exact as a number.
  if (hi < 0x200000) return hi * 4294967296 + lo;
  const unsigned = (BigInt(hi) << 32n) | BigInt(lo);
  return int64Value(hi >= 0x80000000 ? unsigned - (1n << 64n) : unsigned);
}

function arrayValue(buf: Buffer, start: number, end: number, depth: number): DecodedValue[] {
  const r = new Reader(buf, start, end);
  const items: DecodedValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      const s = r.delimited();
      items.push(anyValue(buf, s, r.lenEnd, depth + 1));
    } else r.skip(tag & 7);
  }
  return items;
}

function kvlistValue(buf: Buffer, start: number, end: number, depth: number): DecodedValue {
  const r = new Reader(buf, start, end);
  const object: Record<string, DecodedValue> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      const s = r.delimited();
      const e = r.lenEnd;
      const key = keyValueKey(buf, s, e);
      object[key] = keyValueValue(buf, s, e, depth + 1);
    } else r.skip(tag & 7);
  }
  return object;
}

/** The key of a KeyValue at `[start, end)` (last occurrence; '' when absent). */
function keyValueKey(buf: Buffer, start: number, end: number): string {
  const r = new Reader(buf, start, end);
  let key = '';
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) key = r.string();
    else r.skip(tag & 7);
  }
  return key;
}

/** The value of a KeyValue (its last occurrence, as protobufjs replaces a message field). */
function keyValueValue(buf: Buffer, start: number, end: number, depth: number): DecodedValue {
  const r = new Reader(buf, start, end);
  let vs = -1;
  let ve = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2) {
      vs = r.delimited();
      ve = r.lenEnd;
    } else r.skip(tag & 7);
  }
  if (vs < 0) {
    // No value: still checked for depth, as the full decode does.
    if (depth > MAX_VALUE_DEPTH) throw new InvalidSpanError(TOO_DEEP);
    return null;
  }
  return anyValue(buf, vs, ve, depth);
}

/** Puts one KeyValue at `[start, end)` into `attributes`; returns its key. */
function addKeyValue(attributes: Attributes, buf: Buffer, start: number, end: number): void {
  const r = new Reader(buf, start, end);
  let key = '';
  let vs = -1;
  let ve = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) key = r.string();
    else if (field === 2) {
      vs = r.delimited();
      ve = r.lenEnd;
    } else r.skip(tag & 7);
  }
  setAttribute(attributes, key, vs < 0 ? null : anyValue(buf, vs, ve, 0));
}

// --- Times ------------------------------------------------------------------------------------

/** [seconds, nanoseconds] of an unsigned 64-bit nanosecond count given as two halves, exactly. */
function hrTimeOf(lo: number, hi: number): [number, number] {
  // Long division by 1e9 in 16-bit digits: every intermediate stays below 2^53.
  let rem = 0;
  let quotient = 0;
  for (const digit of [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff]) {
    const current = rem * 65536 + digit;
    const q = Math.floor(current / 1e9);
    rem = current - q * 1e9;
    quotient = quotient * 65536 + q;
  }
  return [quotient, rem];
}

/** end − start, or zero when end is not after start, as two halves into `out`. */
function durationOf(startLo: number, startHi: number, endLo: number, endHi: number): [number, number] {
  if (endHi < startHi || (endHi === startHi && endLo <= startLo)) return [0, 0];
  let lo = endLo - startLo;
  let hi = endHi - startHi;
  if (lo < 0) {
    lo += 4294967296;
    hi -= 1;
  }
  return hrTimeOf(lo, hi);
}

// --- Scan at intake ---------------------------------------------------------------------------

/**
 * One request's valid spans, held as bytes: each span's range in `body`, its trace ID, whether it
 * is a root, and the index of its origin (resource and scope) in `origins`.
 */
export class WireSpans {
  constructor(
    readonly body: Buffer,
    readonly origins: readonly SpanOrigin[],
    readonly starts: readonly number[],
    readonly ends: readonly number[],
    readonly originIndex: readonly number[],
    readonly traceIds: readonly string[],
    readonly roots: readonly boolean[],
  ) {}

  get length(): number {
    return this.starts.length;
  }

  /** Every span's record (for callers that need them all now). */
  records(): SpanRecord[] {
    const records: SpanRecord[] = [];
    for (let i = 0; i < this.starts.length; i++)
      records.push(
        decodeWireSpan(this.body, this.starts[i]!, this.ends[i]!, this.origins[this.originIndex[i]!]!),
      );
    return records;
  }
}

/** What a scan found: the valid spans as bytes, and the rejections as the full decode reports them. */
export interface ScannedRequest {
  readonly spans: WireSpans;
  readonly rejected: number;
  readonly reasons: readonly string[];
}

/** What the scan of one span learns. */
interface SpanSummary {
  traceId: string;
  root: boolean;
}

function malformed(error: unknown): MalformedRequestError {
  return new MalformedRequestError(
    `body is not a protobuf ExportTraceServiceRequest: ${(error as Error).message}`,
  );
}

/** Scans an `application/x-protobuf` ExportTraceServiceRequest; see the module comment. */
export function scanProtobufRequest(body: Buffer): ScannedRequest {
  try {
    return scan(body);
  } catch (error) {
    if (error instanceof WireError || error instanceof RangeError) throw malformed(error);
    throw error;
  }
}

function scan(body: Buffer): ScannedRequest {
  const collector = new DecodeCollector();
  const origins: SpanOrigin[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const originIndex: number[] = [];
  const traceIds: string[] = [];
  const roots: boolean[] = [];
  const summary: SpanSummary = { traceId: '', root: false };

  const top = new Reader(body, 0, body.length);
  while (top.pos < top.end) {
    const tag = top.uint32();
    if (tag >>> 3 !== 1) {
      top.skip(tag & 7);
      continue;
    }
    // ResourceSpans: its resource (last occurrence) first, then its ScopeSpans in order.
    const rsStart = top.delimited();
    const rs = new Reader(body, rsStart, top.lenEnd);
    let resourceStart = -1;
    let resourceEnd = -1;
    const scopeRanges: number[] = [];
    while (rs.pos < rs.end) {
      const t = rs.uint32();
      const f = t >>> 3;
      if (f === 1) {
        resourceStart = rs.delimited();
        resourceEnd = rs.lenEnd;
      } else if (f === 2) {
        scopeRanges.push(rs.delimited(), rs.lenEnd);
      } else rs.skip(t & 7);
    }
    let resource: Attributes;
    try {
      resource = portableAttributes(
        resourceStart < 0 ? {} : attributesOfMessage(body, resourceStart, resourceEnd, 1),
      );
    } catch (error) {
      if (!(error instanceof InvalidSpanError)) throw error;
      for (let i = 0; i < scopeRanges.length; i += 2)
        collector.reject(
          `resource: ${error.message}`,
          countSpans(body, scopeRanges[i]!, scopeRanges[i + 1]!),
        );
      continue;
    }
    for (let i = 0; i < scopeRanges.length; i += 2) {
      const ss = new Reader(body, scopeRanges[i]!, scopeRanges[i + 1]!);
      let scopeName = '';
      let scopeVersion = '';
      const spanRanges: number[] = [];
      while (ss.pos < ss.end) {
        const t = ss.uint32();
        const f = t >>> 3;
        if (f === 1) {
          // InstrumentationScope: name, version (its attributes are not kept).
          const s = ss.delimited();
          const scope = new Reader(body, s, ss.lenEnd);
          scopeName = '';
          scopeVersion = '';
          while (scope.pos < scope.end) {
            const st = scope.uint32();
            const sf = st >>> 3;
            if (sf === 1) scopeName = scope.string();
            else if (sf === 2) scopeVersion = scope.string();
            else if (sf === 3) {
              // Read as the full decode reads it (a malformed KeyValue fails the request).
              const a = scope.delimited();
              checkMessage(body, a, scope.lenEnd);
            } else scope.skip(st & 7);
          }
        } else if (f === 2) spanRanges.push(ss.delimited(), ss.lenEnd);
        else ss.skip(t & 7);
      }
      if (spanRanges.length === 0) continue;
      const origin: SpanOrigin = { resource, scope: scopeOf(scopeName, scopeVersion) };
      const index = origins.push(origin) - 1;
      for (let j = 0; j < spanRanges.length; j += 2) {
        const s = spanRanges[j]!;
        const e = spanRanges[j + 1]!;
        try {
          scanSpan(body, s, e, summary);
        } catch (error) {
          if (!(error instanceof InvalidSpanError)) throw error;
          collector.reject(error.message);
          continue;
        }
        starts.push(s);
        ends.push(e);
        originIndex.push(index);
        traceIds.push(summary.traceId);
        roots.push(summary.root);
      }
    }
  }
  const { rejected, reasons } = collector.result();
  return {
    spans: new WireSpans(body, origins, starts, ends, originIndex, traceIds, roots),
    rejected,
    reasons,
  };
}

/** Spans in a ScopeSpans, for the count of those rejected with their resource. */
function countSpans(buf: Buffer, start: number, end: number): number {
  const r = new Reader(buf, start, end);
  let count = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2) count += 1;
    r.skip(tag & 7);
  }
  return count;
}

/** Walks a message's fields, failing on bytes that are not protobuf. */
function checkMessage(buf: Buffer, start: number, end: number): void {
  const r = new Reader(buf, start, end);
  while (r.pos < end) r.skip(r.uint32() & 7);
}

/** The attributes (repeated KeyValue at `field`) of the message at `[start, end)`. */
function attributesOfMessage(buf: Buffer, start: number, end: number, field: number): Attributes {
  const attributes: Attributes = {};
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === field) {
      const s = r.delimited();
      addKeyValue(attributes, buf, s, r.lenEnd);
    } else r.skip(tag & 7);
  }
  return attributes;
}

/**
 * Checks a KeyValue's value depth (decoding nothing it need not) and, for the stage key, returns
 * whether the value is the string "query" (undefined when the KeyValue sets nothing).
 */
function scanKeyValue(buf: Buffer, start: number, end: number): boolean | undefined {
  const r = new Reader(buf, start, end);
  let keyStart = -1;
  let keyEnd = -1;
  let vs = -1;
  let ve = -1;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) {
      keyStart = r.delimited();
      keyEnd = r.lenEnd;
    } else if (field === 2) {
      vs = r.delimited();
      ve = r.lenEnd;
    } else r.skip(tag & 7);
  }
  if (vs < 0) return undefined;
  const isStageKey =
    keyEnd - keyStart === STAGE_KEY.length &&
    buf.compare(STAGE_KEY, 0, STAGE_KEY.length, keyStart, keyEnd) === 0;
  if (!isStageKey) {
    scanValueDepth(buf, vs, ve, 0);
    return undefined;
  }
  const value = anyValue(buf, vs, ve, 0);
  if (value === null) return undefined;
  return value === 'query';
}

const STAGE_KEY = Buffer.from(ATTR_STAGE, 'utf8');

/** Checks an AnyValue's nesting as `anyValue` does, without building it. */
function scanValueDepth(buf: Buffer, start: number, end: number, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new InvalidSpanError(TOO_DEEP);
  const r = new Reader(buf, start, end);
  let seen = 0;
  let member = 0;
  let vs = 0;
  let ve = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field < 1 || field > 7) {
      r.skip(tag & 7);
      continue;
    }
    const bit = 1 << field;
    const current = (seen & bit) === 0 || member === field;
    if ((seen & bit) === 0) {
      seen |= bit;
      member = field;
    }
    if (field === 5 || field === 6) {
      const s = r.delimited();
      if (current) {
        vs = s;
        ve = r.lenEnd;
      }
    } else if (field === 2) r.uint32();
    else if (field === 3) r.varint64();
    else if (field === 4) r.double();
    else r.delimited();
  }
  if (member === 5) {
    const a = new Reader(buf, vs, ve);
    while (a.pos < ve) {
      const tag = a.uint32();
      if (tag >>> 3 === 1) {
        const s = a.delimited();
        scanValueDepth(buf, s, a.lenEnd, depth + 1);
      } else a.skip(tag & 7);
    }
  } else if (member === 6) {
    const a = new Reader(buf, vs, ve);
    while (a.pos < ve) {
      const tag = a.uint32();
      if (tag >>> 3 === 1) {
        const s = a.delimited();
        const e = a.lenEnd;
        // A KeyValue: its key must read as protobuf, its value is checked one level down.
        const kv = new Reader(buf, s, e);
        let kvs = -1;
        let kve = -1;
        while (kv.pos < e) {
          const t = kv.uint32();
          if (t >>> 3 === 2) {
            kvs = kv.delimited();
            kve = kv.lenEnd;
          } else kv.skip(t & 7);
        }
        if (kvs < 0) {
          if (depth + 1 > MAX_VALUE_DEPTH) throw new InvalidSpanError(TOO_DEEP);
        } else scanValueDepth(buf, kvs, kve, depth + 1);
      } else a.skip(tag & 7);
    }
  }
}

/** Checks a repeated KeyValue's depth; returns the stage verdict of the last one that set it. */
function scanAttributes(r: Reader, stage: boolean | undefined): boolean | undefined {
  const s = r.delimited();
  const verdict = scanKeyValue(r.buf, s, r.lenEnd);
  return verdict === undefined ? stage : verdict;
}

/** Checks an Event or a Link (attributes at `field`), reading its other fields as protobuf. */
function scanNested(
  buf: Buffer,
  start: number,
  end: number,
  attributesField: number,
  fields: FieldTable,
): void {
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === attributesField) scanAttributes(r, undefined);
    else skipKnown(r, tag, fields);
  }
}

/** Wire type each known field is read as, by field number (protobufjs ignores the tag's). */
type FieldTable = readonly (number | undefined)[];
/** Field number → wire type, from [field, wire type] pairs. */
const fieldTable = (...pairs: [number, number][]): FieldTable => {
  const table: (number | undefined)[] = [];
  for (const [field, wireType] of pairs) table[field] = wireType;
  return table;
};
const SPAN_FIELDS = fieldTable(
  [1, 2],
  [2, 2],
  [3, 2],
  [4, 2],
  [5, 2],
  [6, 0],
  [7, 1],
  [8, 1],
  [9, 2],
  [10, 0],
  [11, 2],
  [12, 0],
  [13, 2],
  [14, 0],
  [15, 2],
  [16, 5],
);
const EVENT_FIELDS = fieldTable([1, 1], [2, 2], [3, 2], [4, 0]);
const LINK_FIELDS = fieldTable([1, 2], [2, 2], [3, 2], [4, 2], [5, 0], [6, 5]);
const STATUS_FIELDS = fieldTable([2, 2], [3, 0]);

/**
 * Skips a field as protobufjs reads it: a known field by its declared type whatever the tag's
 * wire type, an unknown one by the tag's.
 */
function skipKnown(r: Reader, tag: number, fields: FieldTable): void {
  r.skip(fields[tag >>> 3] ?? tag & 7);
}

/**
 * Validates a span as the full decode does, noting its trace ID and whether it is a root. The
 * order of the checks gives the same reason: nesting first (the decode meets it), then the IDs.
 */
function scanSpan(buf: Buffer, start: number, end: number, out: SpanSummary): void {
  const r = new Reader(buf, start, end);
  let traceStart = start;
  let traceEnd = start;
  let spanLength = 0;
  let spanStart = start;
  let parentStart = start;
  let parentEnd = start;
  let stage: boolean | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        traceStart = r.delimited();
        traceEnd = r.lenEnd;
        break;
      case 2:
        spanStart = r.delimited();
        spanLength = r.lenEnd - spanStart;
        break;
      case 4:
        parentStart = r.delimited();
        parentEnd = r.lenEnd;
        break;
      case 9:
        stage = scanAttributes(r, stage);
        break;
      case 11: {
        const s = r.delimited();
        scanNested(buf, s, r.lenEnd, 3, EVENT_FIELDS);
        break;
      }
      case 13: {
        const s = r.delimited();
        scanNested(buf, s, r.lenEnd, 4, LINK_FIELDS);
        break;
      }
      case 15: {
        const s = r.delimited();
        scanNested(buf, s, r.lenEnd, 0, STATUS_FIELDS);
        break;
      }
      default:
        skipKnown(r, tag, SPAN_FIELDS);
    }
  }
  const traceLength = traceEnd - traceStart;
  const traceId = buf.toString('hex', traceStart, traceEnd);
  if (traceLength !== 16 || traceId === ZERO_TRACE_ID)
    throw new InvalidSpanError(`traceId must be 16 non-zero bytes (got ${traceLength} bytes)`);
  if (spanLength !== 8 || isZero(buf, spanStart, spanStart + 8))
    throw new InvalidSpanError(`spanId must be 8 non-zero bytes (got ${spanLength} bytes)`);
  const parentLength = parentEnd - parentStart;
  if (parentLength !== 0 && parentLength !== 8)
    throw new InvalidSpanError(`parentSpanId must be empty or 8 bytes (got ${parentLength} bytes)`);
  out.traceId = traceId;
  out.root = parentLength === 0 || isZero(buf, parentStart, parentEnd) || stage === true;
}

function isZero(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

// --- Decode at release --------------------------------------------------------------------------

// OTLP kinds are the API's plus one, UNSPECIFIED (0) means INTERNAL; unknown values fall back.
const spanKindOf = (otlpKind: number): SpanKind => (otlpKind >= 1 && otlpKind <= 5 ? otlpKind - 1 : 0);
const statusCodeOf = (code: number): SpanStatusCode => (code === 1 || code === 2 ? code : 0);

function hasAny(attributes: Attributes): boolean {
  for (const _key in attributes) return true;
  return false;
}

/**
 * Builds the record of a span scanned valid by `scanProtobufRequest` from its bytes at
 * `[start, end)`. The same record the full decode builds.
 */
export function decodeWireSpan(buf: Buffer, start: number, end: number, origin: SpanOrigin): SpanRecord {
  const r = new Reader(buf, start, end);
  let traceId = '';
  let spanId = '';
  let parentStart = start;
  let parentEnd = start;
  let name = '';
  let kind = 0;
  let startLo = 0;
  let startHi = 0;
  let endLo = 0;
  let endHi = 0;
  let statusCode = 0;
  let statusMessage = '';
  const attributes: Attributes = {};
  const events: SpanEventRecord[] = [];
  const links: SpanLinkRecord[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: {
        const s = r.delimited();
        traceId = buf.toString('hex', s, r.lenEnd);
        break;
      }
      case 2: {
        const s = r.delimited();
        spanId = buf.toString('hex', s, r.lenEnd);
        break;
      }
      case 4:
        parentStart = r.delimited();
        parentEnd = r.lenEnd;
        break;
      case 5:
        name = r.string();
        break;
      case 6:
        kind = r.uint32() | 0;
        break;
      case 7:
        startLo = r.fixed64();
        startHi = r.hi;
        break;
      case 8:
        endLo = r.fixed64();
        endHi = r.hi;
        break;
      case 9: {
        const s = r.delimited();
        addKeyValue(attributes, buf, s, r.lenEnd);
        break;
      }
      case 11: {
        const s = r.delimited();
        events.push(decodeEvent(buf, s, r.lenEnd));
        break;
      }
      case 13: {
        const s = r.delimited();
        const link = decodeLink(buf, s, r.lenEnd);
        if (link) links.push(link);
        break;
      }
      case 15: {
        // Status replaces an earlier one (message field).
        const s = r.delimited();
        const st = new Reader(buf, s, r.lenEnd);
        statusCode = 0;
        statusMessage = '';
        while (st.pos < st.end) {
          const t = st.uint32();
          const f = t >>> 3;
          if (f === 2) statusMessage = st.string();
          else if (f === 3) statusCode = st.uint32() | 0;
          else skipKnown(st, t, STATUS_FIELDS);
        }
        break;
      }
      default:
        skipKnown(r, tag, SPAN_FIELDS);
    }
  }
  const parentLength = parentEnd - parentStart;
  const hasParent = parentLength !== 0 && !isZero(buf, parentStart, parentEnd);
  const code = statusCodeOf(statusCode);
  return {
    traceId,
    spanId,
    ...(hasParent ? { parentSpanId: buf.toString('hex', parentStart, parentEnd) } : {}),
    name: wellFormed(name),
    kind: spanKindOf(kind),
    startTime: hrTimeOf(startLo, startHi),
    endTime: hrTimeOf(endLo, endHi),
    duration: durationOf(startLo, startHi, endLo, endHi),
    status: statusMessage ? { code, message: wellFormed(statusMessage) } : { code },
    attributes: portableAttributes(attributes),
    events,
    links,
    resource: origin.resource,
    scope: origin.scope,
  };
}

function decodeEvent(buf: Buffer, start: number, end: number): SpanEventRecord {
  const r = new Reader(buf, start, end);
  let lo = 0;
  let hi = 0;
  let name = '';
  const attributes: Attributes = {};
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        lo = r.fixed64();
        hi = r.hi;
        break;
      case 2:
        name = r.string();
        break;
      case 3: {
        const s = r.delimited();
        addKeyValue(attributes, buf, s, r.lenEnd);
        break;
      }
      default:
        skipKnown(r, tag, EVENT_FIELDS);
    }
  }
  return hasAny(attributes)
    ? { name: wellFormed(name), time: hrTimeOf(lo, hi), attributes: portableAttributes(attributes) }
    : { name: wellFormed(name), time: hrTimeOf(lo, hi) };
}

/** A link, or undefined when its IDs are invalid (dropped, the span kept). */
function decodeLink(buf: Buffer, start: number, end: number): SpanLinkRecord | undefined {
  const r = new Reader(buf, start, end);
  let traceId = '';
  let spanId = '';
  const attributes: Attributes = {};
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: {
        const s = r.delimited();
        traceId = buf.toString('hex', s, r.lenEnd);
        break;
      }
      case 2: {
        const s = r.delimited();
        spanId = buf.toString('hex', s, r.lenEnd);
        break;
      }
      case 4: {
        const s = r.delimited();
        addKeyValue(attributes, buf, s, r.lenEnd);
        break;
      }
      default:
        skipKnown(r, tag, LINK_FIELDS);
    }
  }
  if (traceId.length !== 32 || traceId === ZERO_TRACE_ID || spanId.length !== 16 || spanId === ZERO_SPAN_ID)
    return undefined;
  return hasAny(attributes)
    ? { traceId, spanId, attributes: portableAttributes(attributes) }
    : { traceId, spanId };
}

/** The whole decode of a protobuf request into records: the scan, then every span's record. */
export function decodeWireRequest(body: Buffer): DecodedRequest {
  const scanned = scanProtobufRequest(body);
  return { spans: scanned.spans.records(), rejected: scanned.rejected, reasons: scanned.reasons };
}
