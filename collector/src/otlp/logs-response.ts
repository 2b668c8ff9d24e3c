/** OTLP/HTTP logs response bodies: an ExportLogsServiceResponse, in the encoding of the request. */
import type { OtlpEncoding } from './encode-response.js';
import { ExportLogsServiceResponseType } from './logs-proto.js';

export interface LogsPartialSuccess {
  readonly rejectedLogRecords: number;
  readonly errorMessage: string;
}

export function encodeLogsExportResponse(
  encoding: OtlpEncoding,
  partialSuccess?: LogsPartialSuccess,
): Buffer {
  if (encoding === 'json') {
    // int64 fields are strings in the protobuf JSON mapping.
    const body = partialSuccess
      ? {
          partialSuccess: {
            rejectedLogRecords: String(partialSuccess.rejectedLogRecords),
            errorMessage: partialSuccess.errorMessage,
          },
        }
      : {};
    return Buffer.from(JSON.stringify(body));
  }
  const message = ExportLogsServiceResponseType.create(partialSuccess ? { partialSuccess } : {});
  return Buffer.from(ExportLogsServiceResponseType.encode(message).finish());
}
