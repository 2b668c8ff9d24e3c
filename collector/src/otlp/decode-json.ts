/**
 * Decodes an `application/json` ExportTraceServiceRequest following the OTLP JSON rules: IDs
 * are hex strings, enums integers, field names lowerCamelCase (the original snake_case names are
 * accepted too, as the protobuf JSON mapping requires of parsers), 64-bit integers strings or
 * numbers, unknown fields ignored.
 */
import type { Attributes } from '@opentelemetry/api';
import { portableAttributes } from '@aitdr/conventions';
import { DecodeCollector, MalformedRequestError } from './decode-result.js';
import type { DecodedRequest } from './decode-result.js';
import {
  InvalidSpanError,
  MAX_VALUE_DEPTH,
  buildSpanRecord,
  int64Value,
  scopeOf,
  setAttribute,
} from './span-builder.js';
import type { DecodedLink, DecodedSpan, DecodedValue, SpanOrigin } from './span-builder.js';

type JsonObject = Record<string, unknown>;

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field by its lowerCamelCase name, else its proto (snake_case) name. */
function field(object: JsonObject, camel: string): unknown {
  if (camel in object) return object[camel];
  const snake = camel.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return object[snake];
}

function fail(path: string, expected: string, value: unknown): never {
  const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  throw new InvalidSpanError(`${path} must be ${expected} (got ${got})`);
}

function optionalString(object: JsonObject, name: string, path: string): string {
  const value = field(object, name);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : fail(`${path}.${name}`, 'a string', value);
}

function optionalArray(object: JsonObject, name: string, path: string): unknown[] {
  const value = field(object, name);
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : fail(`${path}.${name}`, 'an array', value);
}

function optionalObject(object: JsonObject, name: string, path: string): JsonObject | undefined {
  const value = field(object, name);
  if (value === undefined || value === null) return undefined;
  return isObject(value) ? value : fail(`${path}.${name}`, 'an object', value);
}

const HEX = /^[0-9a-fA-F]*$/;

function hexId(object: JsonObject, name: string, path: string): string {
  const value = optionalString(object, name, path);
  if (!HEX.test(value) || value.length % 2 !== 0) fail(`${path}.${name}`, 'a hex string', value);
  return value.toLowerCase();
}

const DIGITS = /^-?\d+$/;

/** A 64-bit integer field: a JSON string of digits or a number. */
function int64(object: JsonObject, name: string, path: string): bigint {
  const value = field(object, name);
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && DIGITS.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  return fail(`${path}.${name}`, 'an integer or a string of digits', value);
}

function uint32(object: JsonObject, name: string, path: string): number {
  const value = field(object, name);
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return fail(`${path}.${name}`, 'a non-negative integer', value);
}

/** Enums are integers in OTLP JSON; their names are accepted too. */
function enumValue(object: JsonObject, name: string, names: readonly string[], path: string): number {
  const value = field(object, name);
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && names.includes(value)) return names.indexOf(value);
  return fail(`${path}.${name}`, 'an enum integer', value);
}

function anyValue(value: unknown, path: string, depth: number): DecodedValue {
  if (depth > MAX_VALUE_DEPTH) throw new InvalidSpanError(`${path} nested deeper than ${MAX_VALUE_DEPTH}`);
  if (value === undefined || value === null) return null;
  if (!isObject(value)) fail(path, 'an AnyValue object', value);
  if ('stringValue' in value || 'string_value' in value) return optionalString(value, 'stringValue', path);
  if ('boolValue' in value || 'bool_value' in value) {
    const bool = field(value, 'boolValue');
    return typeof bool === 'boolean' ? bool : fail(`${path}.boolValue`, 'a boolean', bool);
  }
  if ('intValue' in value || 'int_value' in value) return int64Value(int64(value, 'intValue', path));
  if ('doubleValue' in value || 'double_value' in value) {
    const double = field(value, 'doubleValue');
    // JSON has no NaN/Infinity literals; the protobuf JSON mapping writes them as strings. Decoded
    // as the numbers protobuf carries, so both encodings store the same (the exporter names them).
    if (typeof double === 'number') return double;
    if (double === 'NaN' || double === 'Infinity' || double === '-Infinity') return Number(double);
    return fail(`${path}.doubleValue`, 'a number', double);
  }
  if ('bytesValue' in value || 'bytes_value' in value) return optionalString(value, 'bytesValue', path);
  if ('arrayValue' in value || 'array_value' in value) {
    const array = optionalObject(value, 'arrayValue', path) ?? {};
    return optionalArray(array, 'values', `${path}.arrayValue`).map((item, i) =>
      anyValue(item, `${path}.arrayValue.values[${i}]`, depth + 1),
    );
  }
  if ('kvlistValue' in value || 'kvlist_value' in value) {
    const list = optionalObject(value, 'kvlistValue', path) ?? {};
    const object: Record<string, DecodedValue> = {};
    optionalArray(list, 'values', `${path}.kvlistValue`).forEach((entry, i) => {
      const entryPath = `${path}.kvlistValue.values[${i}]`;
      if (!isObject(entry)) fail(entryPath, 'a KeyValue object', entry);
      object[optionalString(entry, 'key', entryPath)] = anyValue(
        field(entry, 'value'),
        `${entryPath}.value`,
        depth + 1,
      );
    });
    return object;
  }
  return null;
}

function attributesOf(object: JsonObject, name: string, path: string): Attributes {
  const attributes: Attributes = {};
  optionalArray(object, name, path).forEach((entry, i) => {
    const entryPath = `${path}.${name}[${i}]`;
    if (!isObject(entry)) fail(entryPath, 'a KeyValue object', entry);
    const key = optionalString(entry, 'key', entryPath);
    setAttribute(attributes, key, anyValue(field(entry, 'value'), `${entryPath}.value`, 0));
  });
  return attributes;
}

function decodeLink(link: unknown, path: string): DecodedLink {
  if (!isObject(link)) fail(path, 'a Link object', link);
  return {
    traceId: hexId(link, 'traceId', path),
    spanId: hexId(link, 'spanId', path),
    traceState: optionalString(link, 'traceState', path),
    attributes: attributesOf(link, 'attributes', path),
    droppedAttributesCount: uint32(link, 'droppedAttributesCount', path),
    flags: uint32(link, 'flags', path),
  };
}

function decodeSpan(span: unknown): DecodedSpan {
  const path = 'span';
  if (!isObject(span)) fail(path, 'a Span object', span);
  const status = optionalObject(span, 'status', path) ?? {};
  return {
    traceId: hexId(span, 'traceId', path),
    spanId: hexId(span, 'spanId', path),
    parentSpanId: hexId(span, 'parentSpanId', path),
    traceState: optionalString(span, 'traceState', path),
    flags: uint32(span, 'flags', path),
    name: optionalString(span, 'name', path),
    kind: enumValue(span, 'kind', SPAN_KIND_NAMES, path),
    startTimeUnixNano: int64(span, 'startTimeUnixNano', path),
    endTimeUnixNano: int64(span, 'endTimeUnixNano', path),
    attributes: attributesOf(span, 'attributes', path),
    droppedAttributesCount: uint32(span, 'droppedAttributesCount', path),
    events: optionalArray(span, 'events', path).map((event, i) => {
      const eventPath = `${path}.events[${i}]`;
      if (!isObject(event)) fail(eventPath, 'an Event object', event);
      return {
        timeUnixNano: int64(event, 'timeUnixNano', eventPath),
        name: optionalString(event, 'name', eventPath),
        attributes: attributesOf(event, 'attributes', eventPath),
        droppedAttributesCount: uint32(event, 'droppedAttributesCount', eventPath),
      };
    }),
    droppedEventsCount: uint32(span, 'droppedEventsCount', path),
    links: optionalArray(span, 'links', path).map((link, i) => decodeLink(link, `${path}.links[${i}]`)),
    droppedLinksCount: uint32(span, 'droppedLinksCount', path),
    statusCode: enumValue(status, 'code', STATUS_CODE_NAMES, `${path}.status`),
    statusMessage: optionalString(status, 'message', `${path}.status`),
  };
}

/** Counts the spans under a resource or scope that could not be read, to reject them all. */
function spanCount(resourceSpans: JsonObject): number {
  const scopes = field(resourceSpans, 'scopeSpans');
  if (!Array.isArray(scopes)) return 0;
  return scopes.reduce<number>((sum, scope) => {
    const spans = isObject(scope) ? field(scope, 'spans') : undefined;
    return sum + (Array.isArray(spans) ? spans.length : 0);
  }, 0);
}

/** Decodes the text of an OTLP/JSON request. */
export function decodeJsonRequest(text: string): DecodedRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new MalformedRequestError(`body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(body))
    throw new MalformedRequestError('body must be a JSON object (ExportTraceServiceRequest)');
  const resourceSpansList = field(body, 'resourceSpans') ?? [];
  if (!Array.isArray(resourceSpansList)) throw new MalformedRequestError('resourceSpans must be an array');

  const collector = new DecodeCollector();
  for (const resourceSpans of resourceSpansList) {
    if (!isObject(resourceSpans))
      throw new MalformedRequestError('each resourceSpans entry must be an object');
    let resourceAttributes: Attributes;
    let scopes: unknown[];
    try {
      const resource = optionalObject(resourceSpans, 'resource', 'resourceSpans') ?? {};
      resourceAttributes = attributesOf(resource, 'attributes', 'resource');
      scopes = optionalArray(resourceSpans, 'scopeSpans', 'resourceSpans');
    } catch (error) {
      if (!(error instanceof InvalidSpanError)) throw error;
      collector.reject(error.message, spanCount(resourceSpans));
      continue;
    }
    const resource = portableAttributes(resourceAttributes);
    for (const scopeSpans of scopes) {
      let spans: unknown[];
      let origin: SpanOrigin;
      try {
        if (!isObject(scopeSpans)) fail('scopeSpans[]', 'an object', scopeSpans);
        const scopeObject = optionalObject(scopeSpans, 'scope', 'scopeSpans') ?? {};
        const scope = scopeOf(
          optionalString(scopeObject, 'name', 'scope'),
          optionalString(scopeObject, 'version', 'scope'),
        );
        // Checked as before, not kept: no column holds the schema URL.
        optionalString(scopeSpans, 'schemaUrl', 'scopeSpans');
        origin = { resource, scope };
        spans = optionalArray(scopeSpans, 'spans', 'scopeSpans');
      } catch (error) {
        if (!(error instanceof InvalidSpanError)) throw error;
        const spansField = isObject(scopeSpans) ? field(scopeSpans, 'spans') : undefined;
        collector.reject(error.message, Array.isArray(spansField) ? spansField.length : 0);
        continue;
      }
      for (const span of spans) collector.keep(() => buildSpanRecord(decodeSpan(span), origin));
    }
  }
  return collector.result();
}
