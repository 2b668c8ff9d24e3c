/**
 * What every OTLP signal's protobuf messages share (opentelemetry-proto `common/v1` and
 * `resource/v1`): the message text each signal's schema starts with, the shapes protobufjs
 * decodes them into, and their decoding into attribute values. Written for this project from the
 * specification's field numbers and types.
 */
import protobuf from 'protobufjs';
import Long from 'long';
import type { Attributes } from '@opentelemetry/api';
import { MAX_VALUE_DEPTH, int64Value, setAttribute } from './span-builder.js';
import type { DecodedValue } from './span-builder.js';

// protobufjs represents 64-bit integers as Long only when it can find the library; without it
// nanosecond timestamps would be rounded to doubles and lose their microseconds.
protobuf.util.Long = Long;
protobuf.configure();

/** `common/v1` and `resource/v1` messages, to be placed in a signal's own proto package. */
export const OTLP_COMMON_MESSAGES = `
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}

message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}

message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
`;

/**
 * Shapes protobufjs decodes into (camelCase field names). Fields absent on the wire may be
 * missing, so every one is optional.
 */
export interface PbAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Long | number;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: Uint8Array;
  /** protobufjs names the set member of a oneof here. */
  value?: string;
}
export interface PbKeyValue {
  key?: string;
  value?: PbAnyValue;
}

/** protobufjs gives Buffers for bytes fields in Node, and a plain empty array for absent ones. */
export function hex(bytes: Uint8Array | ArrayLike<number> | undefined): string {
  if (bytes === undefined) return '';
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as ArrayLike<number>)).toString('hex');
}

export function toBigInt(value: Long | number | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'number') return BigInt(value);
  const unsigned = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return !value.unsigned && value.high < 0 ? unsigned - (1n << 64n) : unsigned;
}

/** A value nested deeper than MAX_VALUE_DEPTH: each signal rejects its item with its own error. */
export type TooDeep = () => Error;

export function anyValue(value: PbAnyValue | undefined, depth: number, tooDeep: TooDeep): DecodedValue {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep();
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return int64Value(toBigInt(value.intValue ?? 0));
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'bytesValue':
      return Buffer.from(value.bytesValue ?? new Uint8Array()).toString('base64');
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map((item) => anyValue(item, depth + 1, tooDeep));
    case 'kvlistValue': {
      const object: Record<string, DecodedValue> = {};
      for (const entry of value.kvlistValue?.values ?? [])
        object[entry.key ?? ''] = anyValue(entry.value, depth + 1, tooDeep);
      return object;
    }
    default:
      return null;
  }
}

export function attributesOf(keyValues: readonly PbKeyValue[] = [], tooDeep: TooDeep): Attributes {
  const attributes: Attributes = {};
  for (const { key, value } of keyValues) setAttribute(attributes, key ?? '', anyValue(value, 0, tooDeep));
  return attributes;
}
