/**
 * The OTLP trace messages (opentelemetry-proto v1.x), written for this project from the
 * specification's field numbers and types. Only what a trace receiver reads is declared: fields
 * a sender adds later are skipped by the decoder as unknown, as protobuf requires.
 */
import protobuf from 'protobufjs';
import type Long from 'long';
import { OTLP_COMMON_MESSAGES } from './common-proto.js';
import type { PbKeyValue } from './common-proto.js';

const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
${OTLP_COMMON_MESSAGES}
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }

message ResourceSpans {
  Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}

message ScopeSpans {
  InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}

message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;

  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }

  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated KeyValue attributes = 4;
    uint32 dropped_attributes_count = 5;
    fixed32 flags = 6;
  }
}

message Status {
  string message = 2;
  int32 code = 3;
}

message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }

message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}

// google.rpc.Status: the body of an OTLP/HTTP error response.
message RpcStatus {
  int32 code = 1;
  string message = 2;
}
`;

// Enums (span kind, status code) are declared as int32: same wire encoding, and an unknown value
// a newer sender uses arrives as its number instead of being dropped.
const root = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root;

export const ExportTraceServiceRequestType = root.lookupType('otlp.ExportTraceServiceRequest');
export const ExportTraceServiceResponseType = root.lookupType('otlp.ExportTraceServiceResponse');
export const RpcStatusType = root.lookupType('otlp.RpcStatus');

/** The span shapes protobufjs decodes into; see common-proto.ts for the shared ones. */
export interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Long | number;
  endTimeUnixNano?: Long | number;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
  events?: {
    timeUnixNano: Long | number;
    name: string;
    attributes: PbKeyValue[];
    droppedAttributesCount: number;
  }[];
  droppedEventsCount?: number;
  links?: {
    traceId?: Uint8Array;
    spanId?: Uint8Array;
    traceState?: string;
    attributes?: PbKeyValue[];
    droppedAttributesCount?: number;
    flags?: number;
  }[];
  droppedLinksCount?: number;
  status?: { message: string; code: number };
}
export interface PbExportTraceServiceRequest {
  resourceSpans?: {
    resource?: { attributes: PbKeyValue[]; droppedAttributesCount: number };
    scopeSpans?: {
      scope?: { name: string; version: string; attributes: PbKeyValue[] };
      spans?: PbSpan[];
      schemaUrl?: string;
    }[];
    schemaUrl?: string;
  }[];
}
