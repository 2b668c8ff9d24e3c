/**
 * One OTLP/gRPC `…Service/Export`, whatever the signal (traces, logs): the request message arrives
 * as its protobuf bytes (decompressed and size-capped by grpc-js) and goes to the signal's export;
 * failures get their gRPC code from the pipeline's one failure table, with RetryInfo when the
 * client should come back later. The signals differ only in their `export`.
 */
import * as grpc from '@grpc/grpc-js';
import type { FastifyBaseLogger } from 'fastify';
import { FAILURE_STATUS, exportFailureOf } from '../receiver/export-pipeline.js';
import type { CollectorMetrics } from '../receiver/metrics.js';
import { STATUS_DETAILS_KEY, encodeRetryStatus } from './status-details.js';

export interface GrpcExportService {
  /** The fully qualified service name, e.g. `opentelemetry.proto.collector.trace.v1.TraceService`. */
  readonly serviceName: string;
  /** Names the signal in log lines ("trace", "logs"). */
  readonly signal: string;
  /** Throws an `ExportFailure` when the call's credentials are refused. */
  readonly authenticate: (authorization: string | undefined) => void;
  /** Exports one request message and returns the encoded response message (logging rejected items). */
  readonly export: (message: Buffer, log: FastifyBaseLogger | undefined) => Promise<Buffer>;
}

export interface GrpcExportContext {
  readonly metrics: CollectorMetrics;
  readonly log?: FastifyBaseLogger;
}

const identity = (bytes: Buffer) => bytes;

export function addExportService(
  server: grpc.Server,
  service: GrpcExportService,
  context: GrpcExportContext,
): void {
  // Messages passed through as bytes: the pipeline owns decoding.
  const definition: grpc.ServiceDefinition = {
    Export: {
      path: `/${service.serviceName}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
  server.addService(definition, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      void exportCall(service, context, call).then(
        (response) => callback(null, response),
        (error: grpc.ServerErrorResponse) => callback(error),
      );
    },
  });
}

/** One Export call: the export's response message, or its failure as a gRPC status. */
async function exportCall(
  service: GrpcExportService,
  context: GrpcExportContext,
  call: grpc.ServerUnaryCall<Buffer, Buffer>,
): Promise<Buffer> {
  const { metrics, log } = context;
  try {
    const authorization = call.metadata.get('authorization')[0];
    service.authenticate(typeof authorization === 'string' ? authorization : undefined);
    const response = await service.export(call.request, log);
    metrics.grpcRequests.inc({ code: grpc.status[grpc.status.OK] });
    return response;
  } catch (error) {
    const failure = exportFailureOf(error);
    const code = FAILURE_STATUS[failure.kind].grpc;
    if (failure.kind === 'internal') log?.error({ err: error }, `${service.signal} export call failed`);
    else
      log?.info(
        { code: grpc.status[code], reason: failure.message },
        `${service.signal} export call refused`,
      );
    metrics.grpcRequests.inc({ code: grpc.status[code] ?? String(code) });
    const metadata = new grpc.Metadata();
    if (failure.retryAfterSeconds !== undefined)
      metadata.set(STATUS_DETAILS_KEY, encodeRetryStatus(code, failure.message, failure.retryAfterSeconds));
    throw Object.assign(new Error(failure.message), { code, details: failure.message, metadata });
  }
}
