/**
 * The OTLP logs messages (opentelemetry-proto v1.x, `logs/v1/logs.proto` and
 * `collector/logs/v1/logs_service.proto`), written for this project from the specification's field
 * numbers and types. Only what a logs receiver reads is declared: unknown fields are skipped, as
 * protobuf requires. Declared apart from the trace messages so each signal's decoding stands alone.
 */
import protobuf from 'protobufjs';
import type Long from 'long';
import { OTLP_COMMON_MESSAGES } from './common-proto.js';
import type { PbAnyValue, PbKeyValue } from './common-proto.js';

const OTLP_LOGS_PROTO = `
syntax = "proto3";
package otlplogs;
${OTLP_COMMON_MESSAGES}
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }

message ResourceLogs {
  Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}

message ScopeLogs {
  InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}

message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}

message ExportLogsPartialSuccess {
  int64 rejected_log_records = 1;
  string error_message = 2;
}
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
`;

const root = protobuf.parse(OTLP_LOGS_PROTO, { keepCase: false }).root;

export const ExportLogsServiceRequestType = root.lookupType('otlplogs.ExportLogsServiceRequest');
export const ExportLogsServiceResponseType = root.lookupType('otlplogs.ExportLogsServiceResponse');

export interface PbLogRecord {
  timeUnixNano?: Long | number;
  observedTimeUnixNano?: Long | number;
  body?: PbAnyValue;
  attributes?: PbKeyValue[];
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}

export interface PbExportLogsServiceRequest {
  resourceLogs?: { scopeLogs?: { logRecords?: PbLogRecord[] }[] }[];
}
