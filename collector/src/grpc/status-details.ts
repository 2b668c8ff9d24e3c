/**
 * The `grpc-status-details-bin` trailer: a google.rpc.Status whose details carry a
 * google.rpc.RetryInfo, the retry hint OTLP/gRPC clients read for UNAVAILABLE and
 * RESOURCE_EXHAUSTED (the gRPC counterpart of HTTP's Retry-After). Declared from the googleapis
 * field numbers.
 */
import protobuf from 'protobufjs';

const STATUS_PROTO = `
syntax = "proto3";
package google.rpc;

message Any {
  string type_url = 1;
  bytes value = 2;
}
message Duration {
  int64 seconds = 1;
  int32 nanos = 2;
}
message RetryInfo { Duration retry_delay = 1; }
message Status {
  int32 code = 1;
  string message = 2;
  repeated Any details = 3;
}
`;

const root = protobuf.parse(STATUS_PROTO, { keepCase: false }).root;
export const StatusType = root.lookupType('google.rpc.Status');
export const RetryInfoType = root.lookupType('google.rpc.RetryInfo');

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** A google.rpc.Status with a RetryInfo asking the client to wait `retryAfterSeconds`. */
export function encodeRetryStatus(code: number, message: string, retryAfterSeconds: number): Buffer {
  const retryInfo = RetryInfoType.encode(
    RetryInfoType.create({ retryDelay: { seconds: retryAfterSeconds, nanos: 0 } }),
  ).finish();
  const status = StatusType.create({
    code,
    message,
    details: [{ typeUrl: RETRY_INFO_TYPE_URL, value: retryInfo }],
  });
  return Buffer.from(StatusType.encode(status).finish());
}
