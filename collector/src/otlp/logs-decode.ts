/**
 * Decodes OTLP log export requests (protobuf and JSON) into span events: a log record that names
 * a span (trace ID and span ID) becomes a `SpanEventRecord` for that span, per the shared contract with
 * the mapper: `name` = the record's `event_name`, else its `event.name` attribute; `time` = its
 * time, else its observed time; `attributes` = its attributes plus `aitdr.log.body` = its body (a
 * string as is, any other value as JSON text). Records naming no span are counted, not kept: the
 * recorder stores what belongs to a trace. An invalid record is rejected on its own.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_LOG_BODY, portableAttributes, wellFormed } from '@aitdr/conventions';
import type { SpanEventRecord } from '@aitdr/conventions';
import { MalformedRequestError } from './decode-result.js';
import type { OtlpEncoding } from './encode-response.js';
import { ExportLogsServiceRequestType } from './logs-proto.js';
import type { PbExportLogsServiceRequest, PbLogRecord } from './logs-proto.js';
import { anyValue, attributesOf, hex, toBigInt } from './common-proto.js';
import {
  MAX_VALUE_DEPTH,
  hrTimeFromNanos,
  int64Value,
  isValidSpanId,
  isValidTraceId,
  setAttribute,
} from './span-builder.js';
import type { DecodedValue } from './span-builder.js';

/** The attribute a log record names its event with when it has no `event_name` field. */
export const ATTR_EVENT_NAME = 'event.name';

/** One log record that names a span, as the event to add to that span. */
export interface SpanLogEvent {
  readonly traceId: string;
  readonly spanId: string;
  readonly event: SpanEventRecord;
}

export interface DecodedLogsRequest {
  readonly events: SpanLogEvent[];
  /** Valid records that name no span: counted and ignored. */
  readonly withoutSpan: number;
  readonly rejected: number;
  /** Distinct reasons, at most five, for the partial-success message. */
  readonly reasons: readonly string[];
}

/** A log record outside what the receiver accepts; rejects that record only. */
export class InvalidLogRecordError extends Error {}

/** A log record's fields after decoding, before it is checked. IDs are lower-case hex. */
interface DecodedLogRecord {
  traceId: string;
  spanId: string;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  eventName: string;
  body: DecodedValue;
  attributes: Attributes;
}

const MAX_REASONS = 5;

class LogsCollector {
  readonly events: SpanLogEvent[] = [];
  withoutSpan = 0;
  private rejected = 0;
  private readonly reasonCounts = new Map<string, number>();

  keep(decode: () => DecodedLogRecord): void {
    let record: DecodedLogRecord;
    try {
      record = decode();
      if (record.traceId === '' || record.spanId === '') {
        this.withoutSpan += 1;
        return;
      }
      if (!isValidTraceId(record.traceId))
        throw new InvalidLogRecordError('traceId must be 16 bytes, not all zero');
      if (!isValidSpanId(record.spanId))
        throw new InvalidLogRecordError('spanId must be 8 bytes, not all zero');
    } catch (error) {
      if (!(error instanceof InvalidLogRecordError)) throw error;
      this.reject(error.message);
      return;
    }
    this.events.push({ traceId: record.traceId, spanId: record.spanId, event: spanEventOf(record) });
  }

  reject(reason: string, records = 1): void {
    if (records <= 0) return;
    this.rejected += records;
    if (this.reasonCounts.has(reason) || this.reasonCounts.size < MAX_REASONS)
      this.reasonCounts.set(reason, (this.reasonCounts.get(reason) ?? 0) + records);
  }

  result(): DecodedLogsRequest {
    const reasons = [...this.reasonCounts].map(([reason, count]) =>
      count > 1 ? `${reason} (${count} log records)` : reason,
    );
    return { events: this.events, withoutSpan: this.withoutSpan, rejected: this.rejected, reasons };
  }
}

function spanEventOf(record: DecodedLogRecord): SpanEventRecord {
  const attributes: Attributes = { ...record.attributes };
  if (record.body !== null)
    attributes[ATTR_LOG_BODY] = typeof record.body === 'string' ? record.body : JSON.stringify(record.body);
  const named = record.attributes[ATTR_EVENT_NAME];
  const name = record.eventName !== '' ? record.eventName : typeof named === 'string' ? named : '';
  const nanos = record.timeUnixNano !== 0n ? record.timeUnixNano : record.observedTimeUnixNano;
  // The same portable text and numbers as a span's own events (see the conventions' span record).
  return { name: wellFormed(name), time: hrTimeFromNanos(nanos), attributes: portableAttributes(attributes) };
}

/** The partial-success message for a request with rejected log records. */
export function logsRejectionMessage(request: DecodedLogsRequest): string {
  return `${request.rejected} log record(s) rejected: ${request.reasons.join('; ')}`;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes an OTLP logs request body (decompressed) in either encoding. */
export function decodeLogsRequest(encoding: OtlpEncoding, body: Uint8Array): DecodedLogsRequest {
  if (encoding === 'protobuf') return decodeProtobufLogs(body);
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new MalformedRequestError('body is not valid UTF-8 (OTLP/JSON is UTF-8 text)');
  }
  return decodeJsonLogs(text);
}

// ---- protobuf ----

/** A log record is rejected on its own for a value nested too deep. */
const recordValueTooDeep = () => new InvalidLogRecordError(`value nested deeper than ${MAX_VALUE_DEPTH}`);

function pbRecord(record: PbLogRecord): DecodedLogRecord {
  return {
    traceId: hex(record.traceId),
    spanId: hex(record.spanId),
    timeUnixNano: toBigInt(record.timeUnixNano),
    observedTimeUnixNano: toBigInt(record.observedTimeUnixNano),
    eventName: record.eventName ?? '',
    body: anyValue(record.body, 0, recordValueTooDeep),
    attributes: attributesOf(record.attributes, recordValueTooDeep),
  };
}

function decodeProtobufLogs(body: Uint8Array): DecodedLogsRequest {
  let message: PbExportLogsServiceRequest;
  try {
    message = ExportLogsServiceRequestType.decode(body) as unknown as PbExportLogsServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(
      `body is not a protobuf ExportLogsServiceRequest: ${(error as Error).message}`,
    );
  }
  const collector = new LogsCollector();
  for (const resourceLogs of message.resourceLogs ?? [])
    for (const scopeLogs of resourceLogs.scopeLogs ?? [])
      for (const record of scopeLogs.logRecords ?? []) collector.keep(() => pbRecord(record));
  return collector.result();
}

// ---- JSON (OTLP JSON: hex IDs, lowerCamelCase names or the proto's snake_case, int64 as strings) ----

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(object: JsonObject, camel: string): unknown {
  if (camel in object) return object[camel];
  return object[camel.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)];
}

function fail(path: string, expected: string, value: unknown): never {
  const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  throw new InvalidLogRecordError(`${path} must be ${expected} (got ${got})`);
}

function jsonString(object: JsonObject, name: string, path: string): string {
  const value = field(object, name);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : fail(`${path}.${name}`, 'a string', value);
}

function jsonArray(object: JsonObject, name: string, path: string): unknown[] {
  const value = field(object, name);
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : fail(`${path}.${name}`, 'an array', value);
}

function jsonHexId(object: JsonObject, name: string, path: string): string {
  const value = jsonString(object, name, path);
  if (!/^[0-9a-fA-F]*$/.test(value) || value.length % 2 !== 0) fail(`${path}.${name}`, 'a hex string', value);
  return value.toLowerCase();
}

function jsonInt64(object: JsonObject, name: string, path: string): bigint {
  const value = field(object, name);
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  return fail(`${path}.${name}`, 'an integer or a string of digits', value);
}

function jsonValue(value: unknown, path: string, depth: number): DecodedValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new InvalidLogRecordError(`${path} nested deeper than ${MAX_VALUE_DEPTH}`);
  if (value === undefined || value === null) return null;
  if (!isObject(value)) return fail(path, 'an AnyValue object', value);
  const has = (camel: string) => field(value, camel) !== undefined;
  if (has('stringValue')) return jsonString(value, 'stringValue', path);
  if (has('boolValue')) {
    const bool = field(value, 'boolValue');
    return typeof bool === 'boolean' ? bool : fail(`${path}.boolValue`, 'a boolean', bool);
  }
  if (has('intValue')) return int64Value(jsonInt64(value, 'intValue', path));
  if (has('doubleValue')) {
    const double = field(value, 'doubleValue');
    if (typeof double === 'number') return double;
    if (double === 'NaN' || double === 'Infinity' || double === '-Infinity') return Number(double);
    return fail(`${path}.doubleValue`, 'a number', double);
  }
  if (has('bytesValue')) return jsonString(value, 'bytesValue', path);
  if (has('arrayValue')) {
    const array = field(value, 'arrayValue');
    if (!isObject(array)) return fail(`${path}.arrayValue`, 'an object', array);
    return jsonArray(array, 'values', `${path}.arrayValue`).map((item, i) =>
      jsonValue(item, `${path}.arrayValue.values[${i}]`, depth + 1),
    );
  }
  if (has('kvlistValue')) {
    const list = field(value, 'kvlistValue');
    if (!isObject(list)) return fail(`${path}.kvlistValue`, 'an object', list);
    const object: Record<string, DecodedValue> = {};
    jsonArray(list, 'values', `${path}.kvlistValue`).forEach((entry, i) => {
      const at = `${path}.kvlistValue.values[${i}]`;
      if (!isObject(entry)) fail(at, 'an object', entry);
      object[jsonString(entry, 'key', at)] = jsonValue(field(entry, 'value'), `${at}.value`, depth + 1);
    });
    return object;
  }
  return null;
}

function jsonAttributes(object: JsonObject, path: string): Attributes {
  const attributes: Attributes = {};
  jsonArray(object, 'attributes', path).forEach((entry, i) => {
    const at = `${path}.attributes[${i}]`;
    if (!isObject(entry)) fail(at, 'an object', entry);
    setAttribute(
      attributes,
      jsonString(entry, 'key', at),
      jsonValue(field(entry, 'value'), `${at}.value`, 0),
    );
  });
  return attributes;
}

function jsonRecord(record: unknown, path: string): DecodedLogRecord {
  if (!isObject(record)) return fail(path, 'an object', record);
  return {
    traceId: jsonHexId(record, 'traceId', path),
    spanId: jsonHexId(record, 'spanId', path),
    timeUnixNano: jsonInt64(record, 'timeUnixNano', path),
    observedTimeUnixNano: jsonInt64(record, 'observedTimeUnixNano', path),
    eventName: jsonString(record, 'eventName', path),
    body: jsonValue(field(record, 'body'), `${path}.body`, 0),
    attributes: jsonAttributes(record, path),
  };
}

/** The array under `name`, or a malformed request: the structure around the records is not optional. */
function structure(object: unknown, name: string, path: string): unknown[] {
  if (!isObject(object)) throw new MalformedRequestError(`${path} must be an object`);
  const value = field(object, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedRequestError(`${path}.${name} must be an array`);
  return value;
}

function decodeJsonLogs(text: string): DecodedLogsRequest {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError(`body is not JSON: ${(error as Error).message}`);
  }
  const collector = new LogsCollector();
  structure(request, 'resourceLogs', 'request').forEach((resourceLogs, r) => {
    const resourcePath = `resourceLogs[${r}]`;
    structure(resourceLogs, 'scopeLogs', resourcePath).forEach((scopeLogs, s) => {
      const scopePath = `${resourcePath}.scopeLogs[${s}]`;
      structure(scopeLogs, 'logRecords', scopePath).forEach((record, l) =>
        collector.keep(() => jsonRecord(record, `${scopePath}.logRecords[${l}]`)),
      );
    });
  });
  return collector.result();
}
