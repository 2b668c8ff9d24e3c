/**
 * OTLP/gRPC `LogsService/Export` on the gRPC receiver's server: the request message arrives as
 * its protobuf bytes and goes through the logs pipeline exactly as a protobuf `POST /v1/logs`
 * body does; failures get the same gRPC codes (and RetryInfo) as trace exports.
 */
import * as grpc from '@grpc/grpc-js';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorMetrics } from '../receiver/metrics.js';
import { encodeLogsExportResponse } from '../otlp/logs-response.js';
import { FAILURE_STATUS, exportFailureOf } from '../receiver/export-pipeline.js';
import type { ExportPipeline } from '../receiver/export-pipeline.js';
import { LogsMetrics, LogsPipeline } from '../receiver/logs-pipeline.js';
import type { LogsIntake } from '../receiver/logs-pipeline.js';
import { STATUS_DETAILS_KEY, encodeRetryStatus } from './status-details.js';

export const LOGS_SERVICE_NAME = 'opentelemetry.proto.collector.logs.v1.LogsService';

const identity = (bytes: Buffer) => bytes;

const LOGS_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: `/${LOGS_SERVICE_NAME}/Export`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'export',
  },
};

export interface GrpcLogsParts {
  readonly intake: LogsIntake;
  readonly metrics: CollectorMetrics;
  /** The trace pipeline: its bearer-token check is the logs service's too. */
  readonly tracePipeline: ExportPipeline;
  readonly log?: FastifyBaseLogger;
}

export function addLogsService(server: grpc.Server, parts: GrpcLogsParts): void {
  const pipeline = new LogsPipeline(parts.intake, LogsMetrics.of(parts.metrics.registry, parts.intake));
  server.addService(LOGS_SERVICE, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      void exportLogsCall(pipeline, parts, call).then(
        (response) => callback(null, response),
        (error: grpc.ServerErrorResponse) => callback(error),
      );
    },
  });
}

async function exportLogsCall(
  pipeline: LogsPipeline,
  parts: GrpcLogsParts,
  call: grpc.ServerUnaryCall<Buffer, Buffer>,
): Promise<Buffer> {
  const { metrics, log } = parts;
  try {
    const authorization = call.metadata.get('authorization')[0];
    parts.tracePipeline.authenticate(typeof authorization === 'string' ? authorization : undefined);
    const { partialSuccess, reasons } = await pipeline.export('protobuf', call.request);
    if (partialSuccess)
      log?.warn({ rejected: partialSuccess.rejectedLogRecords, reasons }, 'log records rejected');
    metrics.grpcRequests.inc({ code: grpc.status[grpc.status.OK] });
    return encodeLogsExportResponse('protobuf', partialSuccess);
  } catch (error) {
    const failure = exportFailureOf(error);
    const code = FAILURE_STATUS[failure.kind].grpc;
    if (failure.kind === 'internal') log?.error({ err: error }, 'logs export call failed');
    else log?.info({ code: grpc.status[code], reason: failure.message }, 'logs export call refused');
    metrics.grpcRequests.inc({ code: grpc.status[code] ?? String(code) });
    const metadata = new grpc.Metadata();
    if (failure.retryAfterSeconds !== undefined)
      metadata.set(STATUS_DETAILS_KEY, encodeRetryStatus(code, failure.message, failure.retryAfterSeconds));
    throw Object.assign(new Error(failure.message), { code, details: failure.message, metadata });
  }
}
