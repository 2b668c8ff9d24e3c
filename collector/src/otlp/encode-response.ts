/**
 * OTLP/HTTP response bodies, in the encoding of the request: an ExportTraceServiceResponse on
 * success (with partial success when spans were rejected), a google.rpc.Status on failure.
 */
import { ExportTraceServiceResponseType, RpcStatusType } from './trace-proto.js';

export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export interface PartialSuccess {
  readonly rejectedSpans: number;
  readonly errorMessage: string;
}

export function encodeExportResponse(encoding: OtlpEncoding, partialSuccess?: PartialSuccess): Buffer {
  if (encoding === 'json') {
    // int64 fields are strings in the protobuf JSON mapping.
    const body = partialSuccess
      ? {
          partialSuccess: {
            rejectedSpans: String(partialSuccess.rejectedSpans),
            errorMessage: partialSuccess.errorMessage,
          },
        }
      : {};
    return Buffer.from(JSON.stringify(body));
  }
  const message = ExportTraceServiceResponseType.create(partialSuccess ? { partialSuccess } : {});
  return Buffer.from(ExportTraceServiceResponseType.encode(message).finish());
}

/** gRPC status codes that match the HTTP statuses the receiver answers with. */
export const RPC_CODES = {
  invalidArgument: 3,
  resourceExhausted: 8,
  unauthenticated: 16,
  unavailable: 14,
  internal: 13,
} as const;

export function encodeErrorStatus(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.from(RpcStatusType.encode(RpcStatusType.create({ code, message })).finish());
}
