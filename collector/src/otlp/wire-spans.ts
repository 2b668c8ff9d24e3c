/**
 * The protobuf trace decode, read straight from the wire bytes (no protobufjs message in between),
 * in two steps so that held spans cost little more than their wire size:
 *
 * - `scanProtobufRequest`, at intake: walks the request once, validates every span exactly as the
 *   full decode does (same rejections, same reasons), decodes each ResourceSpans' resource and
 *   each ScopeSpans' scope once (shared by their spans), and notes per span only its byte range,
 *   its trace ID and whether it is a root. The spans stay bytes.
 * - `decodeWireSpan`, when the exporter maps a released trace (a `DeferredTrace`): builds the span's
 *   `SpanRecord` from its bytes.
 *
 * It follows protobufjs's reading rules (the decoder the collector used before, and which the
 * tests compare it with): known fields are read by field number whatever their wire type, the last
 * occurrence of a singular field wins, unknown fields are skipped by wire type, strings are UTF-8
 * with U+FFFD for invalid bytes, and a oneof reports the member whose first occurrence came last.
 */
import { isUtf8 } from 'node:buffer';
import type { Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_STAGE,
  portableAttributes,
  wellFormed,
} from '@aitdr/conventions';
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
/** Messages nested deeper than this refuse the request (protobufjs's recursion limit, protoc's). */
const RECURSION_LIMIT = 100;

/**
 * Below this length a JavaScript loop checks ASCII faster than the native check's call; above it
 * the native check is faster (measured: even at 64 bytes, and 20× at 1,000).
 */
const NATIVE_UTF8_CHECK_FROM = 64;

/** Whether `[start, end)` is valid UTF-8 (short ASCII checked here, the rest natively). */
function validUtf8(buf: Buffer, start: number, end: number): boolean {
  if (end - start >= NATIVE_UTF8_CHECK_FROM) return isUtf8(buf.subarray(start, end));
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, end));
  return true;
}

/**
 * Buffer's own slice decoders (what protobufjs reads strings with): `toString` checks its
 * arguments and picks the decoder on every call, a tenth of the decode's time.
 */
interface SliceDecoders {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
  base64Slice(start: number, end: number): string;
}
const utf8 = (buf: Buffer, start: number, end: number) =>
  (buf as unknown as SliceDecoders).utf8Slice(start, end);
const hex = (buf: Buffer, start: number, end: number) =>
  (buf as unknown as SliceDecoders).hexSlice(start, end);
const base64 = (buf: Buffer, start: number, end: number) =>
  (buf as unknown as SliceDecoders).base64Slice(start, end);

// Attribute keys repeat from span to span (a few dozen names): each is decoded once, then found
// by its bytes in a small hash table, which spares the decode and gives V8 the same string object
// (internalized once as a property name, not on every store).
const KEY_SLOTS = 1024;
const KEY_MAX_BYTES = 64;
const keySlotBytes = new Uint8Array(KEY_SLOTS * KEY_MAX_BYTES);
const keySlotLength = new Int32Array(KEY_SLOTS).fill(-1);
const keySlotText: string[] = new Array<string>(KEY_SLOTS).fill('');

/** The text of the key at `[start, end)`: the same string as `utf8`, from the table when it is there. */
function keyText(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > KEY_MAX_BYTES) return utf8(buf, start, end);
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
  const slot = hash & (KEY_SLOTS - 1);
  const at = slot * KEY_MAX_BYTES;
  if (keySlotLength[slot] === length) {
    let i = 0;
    while (i < length && keySlotBytes[at + i] === buf[start + i]) i++;
    if (i === length) return keySlotText[slot]!;
  }
  const text = utf8(buf, start, end);
  keySlotBytes.set(buf.subarray(start, end), at);
  keySlotLength[slot] = length;
  keySlotText[slot] = text;
  return text;
}

/** Joins two occurrences of a message field: protobuf merges them as if their bytes were one. */
function joined(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number, bEnd: number): Buffer {
  return Buffer.concat([a.subarray(aStart, aEnd), b.subarray(bStart, bEnd)]);
}

/** A cursor over a buffer; `pos` is the next byte. */
class Reader {
  pos: number;
  /** The high half of the last 64-bit value read. */
  hi = 0;
  /** The end of the last length-delimited field read. */
  lenEnd = 0;

  constructor(
    public buf: Buffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** The same cursor over `[start, end)` of `buf`, as a new one would be (see `walkReader`). */
  reset(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.hi = 0;
    this.lenEnd = 0;
    return this;
  }

  /** A field's tag, as protobufjs reads one: at most five bytes and 32 bits, else malformed. */
  tag(): number {
    return this.varint32('invalid tag encoding', 0x0f);
  }

  /**
   * A varint of at most five bytes, as protobufjs reads tags and lengths: the fifth byte must end
   * the varint and may set only the bits of `lastByteMask`, else `message`.
   */
  private varint32(message: string, lastByteMask: number): number {
    const buf = this.buf;
    let pos = this.pos;
    // Most tags and many lengths are one byte.
    if (pos < this.end && buf[pos]! < 0x80) {
      this.pos = pos + 1;
      return buf[pos]!;
    }
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (pos >= this.end) throw new WireError(`index out of range: ${pos} + 1 > ${this.end}`);
      const byte = buf[pos++]!;
      if (i === 4) {
        if ((byte & ~lastByteMask) !== 0) throw new WireError(message);
        this.pos = pos;
        return (value | (byte << 28)) >>> 0;
      }
      value |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw new WireError(message);
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

  /** A varint as two unsigned 32-bit halves: returns the low one, the high one in `hi`. */
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

  /** A little-endian 64-bit value: returns the low half, the high one in `hi`. */
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

  /** A length-delimited field: returns its start; `pos` and `lenEnd` are its end. */
  delimited(): number {
    const length = this.length();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    this.lenEnd = this.pos;
    return start;
  }

  /** A length prefix, as protobufjs reads one: at most five bytes, below 2^31. */
  private length(): number {
    return this.varint32('invalid length encoding', 0x07);
  }

  /** A string field, refused unless UTF-8 (proto3 strings are verified, as protobufjs does). */
  string(): string {
    const start = this.checkedString();
    return utf8(this.buf, start, this.lenEnd);
  }

  /** A string field already checked (by the scan at intake), decoded. */
  text(): string {
    const start = this.delimited();
    return utf8(this.buf, start, this.lenEnd);
  }

  /** A string field checked but not decoded: returns its start. */
  checkedString(): number {
    const start = this.delimited();
    if (!validUtf8(this.buf, start, this.lenEnd))
      throw new WireError('The encoded data was not valid for encoding utf-8');
    return start;
  }

  /** Skips a fixed32. */
  need4(): void {
    this.need(4);
    this.pos += 4;
  }

  private need(length: number): void {
    if (this.pos + length > this.end)
      throw new WireError(`index out of range: ${this.pos} + ${length} > ${this.end}`);
  }

  /** Skips a field not read (unknown, or known but with another wire type), by its tag. */
  skip(tag: number, depth = 0): void {
    if (tag >>> 3 === 0) throw new WireError('illegal tag: field number 0');
    if (depth > RECURSION_LIMIT) throw new WireError('max depth exceeded');
    switch (tag & 7) {
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
          const nested = this.tag();
          if ((nested & 7) === 4) {
            if (nested >>> 3 === 0) throw new WireError('illegal tag: field number 0');
            if (nested >>> 3 !== tag >>> 3) throw new WireError('invalid end group tag');
            return;
          }
          this.skip(nested, depth + 1);
        }
      case 5:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new WireError(`invalid wire type ${tag & 7} at offset ${this.pos}`);
    }
  }
}

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
const tagOf = (field: number, wireType: number) => (field << 3) | wireType;

// --- Attribute values -------------------------------------------------------------------------

// AnyValue: 1 string, 2 bool, 3 int, 4 double, 5 array, 6 kvlist, 7 bytes. A KeyValue: 1 key, 2 value.
const T_STRING = tagOf(1, LEN);
const T_BOOL = tagOf(2, VARINT);
const T_INT = tagOf(3, VARINT);
const T_DOUBLE = tagOf(4, I64);
const T_ARRAY = tagOf(5, LEN);
const T_KVLIST = tagOf(6, LEN);
const T_BYTES = tagOf(7, LEN);
/** Field 1 of ArrayValue and KeyValueList (values), and of KeyValue (key). */
const T_FIRST = tagOf(1, LEN);
const T_KV_VALUE = tagOf(2, LEN);

/**
 * The scan's cursors, one per message depth `q`, reused from span to span: a walk at depth `q`
 * reads with slot `q` (and `q + 1` for a list), its nested walks with deeper slots, so no two
 * walks under way share one. A new cursor per KeyValue and AnyValue was most of what the scan
 * allocated (about 1.9 KB per span of the benchmark's), each one bringing the next scavenge closer.
 */
const walkReaders: Reader[] = [];

const NO_BYTES = Buffer.alloc(0);

/** Lets go of the buffers the cursors last read, so an idle slot keeps no request body alive. */
function releaseReaders(readers: readonly Reader[]): void {
  for (const reader of readers) reader.reset(NO_BYTES, 0, 0);
}

function walkReader(q: number, buf: Buffer, start: number, end: number): Reader {
  const reader = walkReaders[q];
  if (reader !== undefined) return reader.reset(buf, start, end);
  // Slots fill in order of depth: a walk at `q` comes from one at a lower depth.
  for (let slot = walkReaders.length; slot < q; slot++) walkReaders.push(new Reader(buf, 0, 0));
  const created = new Reader(buf, start, end);
  walkReaders.push(created);
  return created;
}

/**
 * Walks an AnyValue at `[start, end)` (`q` messages deep) as protobufjs decodes it: refuses the
 * request for bytes that are not protobuf, strings that are not UTF-8 or messages nested past the
 * recursion limit. Returns the deepest value depth met, for the nesting check.
 */
function walkValue(buf: Buffer, start: number, end: number, depth: number, q: number): number {
  if (q > RECURSION_LIMIT) throw new WireError('max depth exceeded');
  const r = walkReader(q, buf, start, end);
  let deepest = depth;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === T_STRING) r.checkedString();
    else if (tag === T_BOOL || tag === T_INT) r.varint64();
    else if (tag === T_DOUBLE) r.double();
    else if (tag === T_BYTES) r.delimited();
    else if (tag === T_ARRAY || tag === T_KVLIST) {
      const s = r.delimited();
      const e = r.lenEnd;
      const list = walkReader(q + 1, buf, s, e);
      while (list.pos < e) {
        const t = list.tag();
        if (t !== T_FIRST) {
          list.skip(t, q + 2);
          continue;
        }
        const is = list.delimited();
        const ie = list.lenEnd;
        const d =
          tag === T_ARRAY
            ? walkValue(buf, is, ie, depth + 1, q + 2)
            : walkKeyValue(buf, is, ie, depth + 1, q + 2);
        if (d > deepest) deepest = d;
      }
    } else r.skip(tag, q + 1);
  }
  return deepest;
}

/** Walks a KeyValue (its value `depth` deep); see walkValue. */
let walkedKeyStart = 0;
let walkedKeyEnd = 0;
function walkKeyValue(buf: Buffer, start: number, end: number, depth: number, q: number): number {
  if (q > RECURSION_LIMIT) throw new WireError('max depth exceeded');
  const r = walkReader(q, buf, start, end);
  // A value with no AnyValue still counts at its depth, as the full decode checks it.
  let deepest = depth;
  let keyStart = 0;
  let keyEnd = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === T_FIRST) {
      keyStart = r.checkedString();
      keyEnd = r.lenEnd;
    } else if (tag === T_KV_VALUE) {
      const s = r.delimited();
      const d = walkValue(buf, s, r.lenEnd, depth, q + 1);
      if (d > deepest) deepest = d;
    } else r.skip(tag, q + 1);
  }
  walkedKeyStart = keyStart;
  walkedKeyEnd = keyEnd;
  return deepest;
}

/**
 * Decodes an AnyValue at `[start, end)`, already walked (so well formed and within the depth).
 * protobufjs's oneof: the member set last is reported, with its last value; a message member
 * (array, kvlist) merges all its occurrences.
 */
function anyValue(buf: Buffer, start: number, end: number): DecodedValue {
  const r = new Reader(buf, start, end);
  let member = 0;
  let scalar: DecodedValue = null;
  let stringStart = 0;
  let stringEnd = 0;
  let bytesStart = 0;
  let bytesEnd = 0;
  let arrayBuf = buf;
  let arrayStart = -1;
  let arrayEnd = -1;
  let kvBuf = buf;
  let kvStart = -1;
  let kvEnd = -1;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case T_STRING:
        stringStart = r.delimited();
        stringEnd = r.lenEnd;
        member = 1;
        break;
      case T_BOOL:
        scalar = r.uint32() !== 0;
        member = 2;
        break;
      case T_INT: {
        const lo = r.varint64();
        scalar = int64Of(lo, r.hi);
        member = 3;
        break;
      }
      case T_DOUBLE:
        scalar = r.double();
        member = 4;
        break;
      case T_ARRAY: {
        const s = r.delimited();
        if (arrayStart < 0) {
          arrayStart = s;
          arrayEnd = r.lenEnd;
        } else {
          arrayBuf = joined(arrayBuf, arrayStart, arrayEnd, buf, s, r.lenEnd);
          arrayStart = 0;
          arrayEnd = arrayBuf.length;
        }
        member = 5;
        break;
      }
      case T_KVLIST: {
        const s = r.delimited();
        if (kvStart < 0) {
          kvStart = s;
          kvEnd = r.lenEnd;
        } else {
          kvBuf = joined(kvBuf, kvStart, kvEnd, buf, s, r.lenEnd);
          kvStart = 0;
          kvEnd = kvBuf.length;
        }
        member = 6;
        break;
      }
      case T_BYTES:
        bytesStart = r.delimited();
        bytesEnd = r.lenEnd;
        member = 7;
        break;
      default:
        r.skip(tag);
    }
  }
  switch (member) {
    case 0:
      return null;
    case 1:
      return utf8(buf, stringStart, stringEnd);
    case 5:
      return arrayValue(arrayBuf, arrayStart, arrayEnd);
    case 6:
      return kvlistValue(kvBuf, kvStart, kvEnd);
    case 7:
      return base64(buf, bytesStart, bytesEnd);
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

function arrayValue(buf: Buffer, start: number, end: number): DecodedValue[] {
  const r = new Reader(buf, start, end);
  const items: DecodedValue[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === T_FIRST) {
      const s = r.delimited();
      items.push(anyValue(buf, s, r.lenEnd));
    } else r.skip(tag);
  }
  return items;
}

function kvlistValue(buf: Buffer, start: number, end: number): DecodedValue {
  const r = new Reader(buf, start, end);
  const object: Record<string, DecodedValue> = {};
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === T_FIRST) {
      const s = r.delimited();
      keyValue(buf, s, r.lenEnd);
      object[keyValueKey] = keyValueValue;
    } else r.skip(tag);
  }
  return object;
}

// The last KeyValue read by `keyValue`: module variables rather than the properties of a shared
// result object, whose field types changed with the values (a string, then a number, then an
// object) and each time threw away the optimised code of every function reading them.
let keyValueKey = '';
let keyValueValue: DecodedValue = null;

/** Reads a KeyValue's key and value (the value's occurrences merged) into `keyValueKey` and `keyValueValue`. */
function keyValue(buf: Buffer, start: number, end: number): void {
  const r = new Reader(buf, start, end);
  let key = '';
  let valueBuf = buf;
  let vs = -1;
  let ve = -1;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === T_FIRST) {
      const s = r.delimited();
      key = keyText(buf, s, r.lenEnd);
    } else if (tag === T_KV_VALUE) {
      const s = r.delimited();
      if (vs < 0) {
        vs = s;
        ve = r.lenEnd;
      } else {
        valueBuf = joined(valueBuf, vs, ve, buf, s, r.lenEnd);
        vs = 0;
        ve = valueBuf.length;
      }
    } else r.skip(tag);
  }
  const value = vs < 0 ? null : anyValue(valueBuf, vs, ve);
  keyValueKey = key;
  keyValueValue = value;
}

/** Puts one (walked) KeyValue at `[start, end)` into `attributes`. */
function addKeyValue(attributes: Attributes, buf: Buffer, start: number, end: number): void {
  keyValue(buf, start, end);
  const key = keyValueKey;
  const value = keyValueValue;
  // Primitives are kept as they are (setAttribute's own rule), without the call.
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    attributes[key] = value;
  else setAttribute(attributes, key, value);
}

/** Walks then decodes repeated KeyValue ranges: the nesting checked before anything is built. */
function attributesOfRanges(buf: Buffer, ranges: readonly number[], q: number): Attributes {
  let deepest = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const d = walkKeyValue(buf, ranges[i]!, ranges[i + 1]!, 0, q);
    if (d > deepest) deepest = d;
  }
  if (deepest > MAX_VALUE_DEPTH) throw new InvalidSpanError(TOO_DEEP);
  const attributes: Attributes = {};
  for (let i = 0; i < ranges.length; i += 2) addKeyValue(attributes, buf, ranges[i]!, ranges[i + 1]!);
  return attributes;
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
    /**
     * Whether the span has a GenAI span attribute key (see written-traces.ts): log records may come
     * for its trace after it is written. Read at intake, so the trace need not be decoded to know.
     */
    readonly genAi: readonly boolean[],
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
  genAi: boolean;
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
  } finally {
    releaseReaders(walkReaders);
  }
}

// Tags of the messages around spans (field numbers of opentelemetry-proto).
const T_RESOURCE_SPANS = tagOf(1, LEN);
const T_RS_RESOURCE = tagOf(1, LEN);
const T_RS_SCOPE_SPANS = tagOf(2, LEN);
const T_SCHEMA_URL = tagOf(3, LEN);
const T_RESOURCE_ATTRIBUTE = tagOf(1, LEN);
const T_RESOURCE_DROPPED = tagOf(2, VARINT);
const T_SS_SCOPE = tagOf(1, LEN);
const T_SS_SPAN = tagOf(2, LEN);
const T_SCOPE_NAME = tagOf(1, LEN);
const T_SCOPE_VERSION = tagOf(2, LEN);
const T_SCOPE_ATTRIBUTE = tagOf(3, LEN);
const T_SCOPE_DROPPED = tagOf(4, VARINT);

function scan(body: Buffer): ScannedRequest {
  const collector = new DecodeCollector();
  const origins: SpanOrigin[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const originIndex: number[] = [];
  const traceIds: string[] = [];
  const roots: boolean[] = [];
  const genAi: boolean[] = [];
  const summary: SpanSummary = { traceId: '', root: false, genAi: false };

  const top = new Reader(body, 0, body.length);
  while (top.pos < top.end) {
    const tag = top.tag();
    if (tag !== T_RESOURCE_SPANS) {
      top.skip(tag);
      continue;
    }
    // ResourceSpans: its resource (occurrences merged) first, then its ScopeSpans in order.
    const rsStart = top.delimited();
    const rs = new Reader(body, rsStart, top.lenEnd);
    const resourceAttributes: number[] = [];
    const scopeRanges: number[] = [];
    while (rs.pos < rs.end) {
      const t = rs.tag();
      if (t === T_RS_RESOURCE) {
        const s = rs.delimited();
        const resource = new Reader(body, s, rs.lenEnd);
        while (resource.pos < resource.end) {
          const rt = resource.tag();
          if (rt === T_RESOURCE_ATTRIBUTE) resourceAttributes.push(resource.delimited(), resource.lenEnd);
          else if (rt === T_RESOURCE_DROPPED) resource.uint32();
          else resource.skip(rt, 3);
        }
      } else if (t === T_RS_SCOPE_SPANS) scopeRanges.push(rs.delimited(), rs.lenEnd);
      else if (t === T_SCHEMA_URL) rs.checkedString();
      else rs.skip(t, 2);
    }
    let resource: Attributes | undefined;
    let resourceError: string | undefined;
    try {
      resource = portableAttributes(attributesOfRanges(body, resourceAttributes, 3));
    } catch (error) {
      if (!(error instanceof InvalidSpanError)) throw error;
      resourceError = `resource: ${error.message}`;
    }
    for (let i = 0; i < scopeRanges.length; i += 2) {
      const ss = new Reader(body, scopeRanges[i]!, scopeRanges[i + 1]!);
      let scopeName = '';
      let scopeVersion = '';
      const spanRanges: number[] = [];
      while (ss.pos < ss.end) {
        const t = ss.tag();
        if (t === T_SS_SCOPE) {
          // InstrumentationScope (occurrences merged): name, version; its attributes are not kept.
          const s = ss.delimited();
          const scope = new Reader(body, s, ss.lenEnd);
          while (scope.pos < scope.end) {
            const st = scope.tag();
            if (st === T_SCOPE_NAME) scopeName = scope.string();
            else if (st === T_SCOPE_VERSION) scopeVersion = scope.string();
            else if (st === T_SCOPE_ATTRIBUTE) {
              const a = scope.delimited();
              walkKeyValue(body, a, scope.lenEnd, 0, 4);
            } else if (st === T_SCOPE_DROPPED) scope.uint32();
            else scope.skip(st, 4);
          }
        } else if (t === T_SS_SPAN) spanRanges.push(ss.delimited(), ss.lenEnd);
        else if (t === T_SCHEMA_URL) ss.checkedString();
        else ss.skip(t, 3);
      }
      if (spanRanges.length === 0) continue;
      if (resource === undefined) {
        // Rejected with their resource; still read, since bytes that are not protobuf refuse the request.
        for (let j = 0; j < spanRanges.length; j += 2) {
          try {
            scanSpan(body, spanRanges[j]!, spanRanges[j + 1]!, summary);
          } catch (error) {
            if (!(error instanceof InvalidSpanError)) throw error;
          }
        }
        collector.reject(resourceError!, spanRanges.length / 2);
        continue;
      }
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
        genAi.push(summary.genAi);
      }
    }
  }
  const { rejected, reasons } = collector.result();
  return {
    spans: new WireSpans(body, origins, starts, ends, originIndex, traceIds, roots, genAi),
    rejected,
    reasons,
  };
}

// Span fields.
const T_TRACE_ID = tagOf(1, LEN);
const T_SPAN_ID = tagOf(2, LEN);
const T_TRACE_STATE = tagOf(3, LEN);
const T_PARENT = tagOf(4, LEN);
const T_NAME = tagOf(5, LEN);
const T_KIND = tagOf(6, VARINT);
const T_START = tagOf(7, I64);
const T_END = tagOf(8, I64);
const T_ATTRIBUTE = tagOf(9, LEN);
const T_DROPPED_ATTRIBUTES = tagOf(10, VARINT);
const T_EVENT = tagOf(11, LEN);
const T_DROPPED_EVENTS = tagOf(12, VARINT);
const T_LINK = tagOf(13, LEN);
const T_DROPPED_LINKS = tagOf(14, VARINT);
const T_STATUS = tagOf(15, LEN);
const T_FLAGS = tagOf(16, I32);
// Event fields.
const T_EVENT_TIME = tagOf(1, I64);
const T_EVENT_NAME = tagOf(2, LEN);
const T_EVENT_ATTRIBUTE = tagOf(3, LEN);
const T_EVENT_DROPPED = tagOf(4, VARINT);
// Link fields.
const T_LINK_TRACE_ID = tagOf(1, LEN);
const T_LINK_SPAN_ID = tagOf(2, LEN);
const T_LINK_TRACE_STATE = tagOf(3, LEN);
const T_LINK_ATTRIBUTE = tagOf(4, LEN);
const T_LINK_DROPPED = tagOf(5, VARINT);
const T_LINK_FLAGS = tagOf(6, I32);
// Status fields.
const T_STATUS_MESSAGE = tagOf(2, LEN);
const T_STATUS_CODE = tagOf(3, VARINT);

const STAGE_KEY = Buffer.from(ATTR_STAGE, 'utf8');
/**
 * The GenAI span attributes (current, and the previous generation's provider name): a span with one
 * may get log records after its trace is written (see assembler/written-traces.ts).
 */
export const GENAI_SPAN_KEYS = [ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROVIDER_NAME, 'gen_ai.system'];
const GENAI_KEYS = GENAI_SPAN_KEYS.map((key) => Buffer.from(key, 'utf8'));

/** Whether the walked KeyValue's key is a GenAI span key (its value, even an empty one, counts: the check may only err towards keeping). */
function isGenAiKey(buf: Buffer): boolean {
  const length = walkedKeyEnd - walkedKeyStart;
  for (const key of GENAI_KEYS)
    if (key.length === length && buf.compare(key, 0, length, walkedKeyStart, walkedKeyEnd) === 0) return true;
  return false;
}

/** The deepest value of the KeyValues in the Event or Link at `[start, end)`, walking it all. */
function walkNested(buf: Buffer, start: number, end: number, isEvent: boolean): number {
  // Depth 4, as the span's attributes (walked at 4 when this is not under way); its KeyValues at 5.
  const r = walkReader(4, buf, start, end);
  let deepest = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (isEvent ? tag === T_EVENT_ATTRIBUTE : tag === T_LINK_ATTRIBUTE) {
      const s = r.delimited();
      const d = walkKeyValue(buf, s, r.lenEnd, 0, 5);
      if (d > deepest) deepest = d;
    } else if (isEvent) {
      if (tag === T_EVENT_TIME) r.fixed64();
      else if (tag === T_EVENT_NAME) r.checkedString();
      else if (tag === T_EVENT_DROPPED) r.uint32();
      else r.skip(tag, 5);
    } else if (tag === T_LINK_TRACE_ID || tag === T_LINK_SPAN_ID) r.delimited();
    else if (tag === T_LINK_TRACE_STATE) r.checkedString();
    else if (tag === T_LINK_DROPPED) r.uint32();
    else if (tag === T_LINK_FLAGS) r.need4();
    else r.skip(tag, 5);
  }
  return deepest;
}

/** Whether the stage KeyValue at `[start, end)` sets the stage, and to "query" (undefined: sets nothing). */
function stageIsQuery(buf: Buffer, start: number, end: number): boolean | undefined {
  keyValue(buf, start, end);
  const key = keyValueKey;
  const value = keyValueValue;
  if (key !== ATTR_STAGE || value === null) return undefined;
  return value === 'query';
}

/**
 * Validates a span as the full decode does, noting its trace ID and whether it is a root: the
 * whole span is read first (bytes that are not protobuf refuse the request), then nesting, then
 * the IDs, in the full decode's order, so the reason is the same.
 */
function scanSpan(buf: Buffer, start: number, end: number, out: SpanSummary): void {
  const r = new Reader(buf, start, end);
  let traceStart = start;
  let traceEnd = start;
  let spanStart = start;
  let spanEnd = start;
  let parentStart = start;
  let parentEnd = start;
  let deepest = 0;
  let stage: boolean | undefined;
  let genAi = false;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case T_TRACE_ID:
        traceStart = r.delimited();
        traceEnd = r.lenEnd;
        break;
      case T_SPAN_ID:
        spanStart = r.delimited();
        spanEnd = r.lenEnd;
        break;
      case T_PARENT:
        parentStart = r.delimited();
        parentEnd = r.lenEnd;
        break;
      case T_TRACE_STATE:
      case T_NAME:
        r.checkedString();
        break;
      case T_KIND:
      case T_DROPPED_ATTRIBUTES:
      case T_DROPPED_EVENTS:
      case T_DROPPED_LINKS:
        r.uint32();
        break;
      case T_START:
      case T_END:
        r.fixed64();
        break;
      case T_FLAGS:
        r.need4();
        break;
      case T_ATTRIBUTE: {
        const s = r.delimited();
        const e = r.lenEnd;
        const d = walkKeyValue(buf, s, e, 0, 4);
        if (d > deepest) deepest = d;
        // The stage key, when this KeyValue has it (read after the walk: it is well formed).
        if (
          walkedKeyEnd - walkedKeyStart === STAGE_KEY.length &&
          buf.compare(STAGE_KEY, 0, STAGE_KEY.length, walkedKeyStart, walkedKeyEnd) === 0 &&
          d <= MAX_VALUE_DEPTH
        ) {
          const verdict = stageIsQuery(buf, s, e);
          if (verdict !== undefined) stage = verdict;
        } else if (!genAi && isGenAiKey(buf)) genAi = true;
        break;
      }
      case T_EVENT:
      case T_LINK: {
        const s = r.delimited();
        const d = walkNested(buf, s, r.lenEnd, tag === T_EVENT);
        if (d > deepest) deepest = d;
        break;
      }
      case T_STATUS: {
        const s = r.delimited();
        const st = new Reader(buf, s, r.lenEnd);
        while (st.pos < st.end) {
          const t = st.tag();
          if (t === T_STATUS_MESSAGE) st.checkedString();
          else if (t === T_STATUS_CODE) st.uint32();
          else st.skip(t, 5);
        }
        break;
      }
      default:
        r.skip(tag, 4);
    }
  }
  if (deepest > MAX_VALUE_DEPTH) throw new InvalidSpanError(TOO_DEEP);
  const traceLength = traceEnd - traceStart;
  const traceId = hex(buf, traceStart, traceEnd);
  if (traceLength !== 16 || traceId === ZERO_TRACE_ID)
    throw new InvalidSpanError(`traceId must be 16 non-zero bytes (got ${traceLength} bytes)`);
  const spanLength = spanEnd - spanStart;
  if (spanLength !== 8 || isZero(buf, spanStart, spanEnd))
    throw new InvalidSpanError(`spanId must be 8 non-zero bytes (got ${spanLength} bytes)`);
  const parentLength = parentEnd - parentStart;
  if (parentLength !== 0 && parentLength !== 8)
    throw new InvalidSpanError(`parentSpanId must be empty or 8 bytes (got ${parentLength} bytes)`);
  out.traceId = traceId;
  out.root = parentLength === 0 || isZero(buf, parentStart, parentEnd) || stage === true;
  out.genAi = genAi;
}

function isZero(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

// --- Decode when mapped -------------------------------------------------------------------------

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
    const tag = r.tag();
    switch (tag) {
      case T_TRACE_ID: {
        const s = r.delimited();
        traceId = hex(buf, s, r.lenEnd);
        break;
      }
      case T_SPAN_ID: {
        const s = r.delimited();
        spanId = hex(buf, s, r.lenEnd);
        break;
      }
      case T_PARENT:
        parentStart = r.delimited();
        parentEnd = r.lenEnd;
        break;
      case T_NAME:
        name = r.text();
        break;
      case T_KIND:
        kind = r.uint32() | 0;
        break;
      case T_START:
        startLo = r.fixed64();
        startHi = r.hi;
        break;
      case T_END:
        endLo = r.fixed64();
        endHi = r.hi;
        break;
      case T_ATTRIBUTE: {
        const s = r.delimited();
        addKeyValue(attributes, buf, s, r.lenEnd);
        break;
      }
      case T_EVENT: {
        const s = r.delimited();
        events.push(decodeEvent(buf, s, r.lenEnd));
        break;
      }
      case T_LINK: {
        const s = r.delimited();
        const link = decodeLink(buf, s, r.lenEnd);
        if (link) links.push(link);
        break;
      }
      case T_STATUS: {
        // Occurrences merge: each field's last value.
        const s = r.delimited();
        const st = new Reader(buf, s, r.lenEnd);
        while (st.pos < st.end) {
          const t = st.tag();
          if (t === T_STATUS_MESSAGE) statusMessage = st.text();
          else if (t === T_STATUS_CODE) statusCode = st.uint32() | 0;
          else st.skip(t);
        }
        break;
      }
      default:
        r.skip(tag);
    }
  }
  const hasParent = parentEnd > parentStart && !isZero(buf, parentStart, parentEnd);
  const code = statusCodeOf(statusCode);
  const status = statusMessage ? { code, message: wellFormed(statusMessage) } : { code };
  // Two literals rather than a spread of the optional parent: a spread in the middle of a literal
  // builds the record property by property. Same properties in the same order either way.
  return hasParent
    ? {
        traceId,
        spanId,
        parentSpanId: hex(buf, parentStart, parentEnd),
        name: wellFormed(name),
        kind: spanKindOf(kind),
        startTime: hrTimeOf(startLo, startHi),
        endTime: hrTimeOf(endLo, endHi),
        duration: durationOf(startLo, startHi, endLo, endHi),
        status,
        attributes: portableAttributes(attributes),
        events,
        links,
        resource: origin.resource,
        scope: origin.scope,
      }
    : {
        traceId,
        spanId,
        name: wellFormed(name),
        kind: spanKindOf(kind),
        startTime: hrTimeOf(startLo, startHi),
        endTime: hrTimeOf(endLo, endHi),
        duration: durationOf(startLo, startHi, endLo, endHi),
        status,
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
    const tag = r.tag();
    if (tag === T_EVENT_TIME) {
      lo = r.fixed64();
      hi = r.hi;
    } else if (tag === T_EVENT_NAME) name = r.text();
    else if (tag === T_EVENT_ATTRIBUTE) {
      const s = r.delimited();
      addKeyValue(attributes, buf, s, r.lenEnd);
    } else r.skip(tag);
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
    const tag = r.tag();
    if (tag === T_LINK_TRACE_ID) {
      const s = r.delimited();
      traceId = hex(buf, s, r.lenEnd);
    } else if (tag === T_LINK_SPAN_ID) {
      const s = r.delimited();
      spanId = hex(buf, s, r.lenEnd);
    } else if (tag === T_LINK_ATTRIBUTE) {
      const s = r.delimited();
      addKeyValue(attributes, buf, s, r.lenEnd);
    } else r.skip(tag);
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
