/**
 * OTLP/gRPC `LogsService/Export` on the gRPC receiver's server: the request message arrives as
 * its protobuf bytes and goes through the logs pipeline exactly as a protobuf `POST /v1/logs`
 * body does; failures get the same gRPC codes (and RetryInfo) as trace exports.
 */
import type * as grpc from '@grpc/grpc-js';
import { encodeLogsExportResponse } from '../otlp/logs-response.js';
import type { ExportPipeline } from '../receiver/export-pipeline.js';
import { LogsMetrics, LogsPipeline } from '../receiver/logs-pipeline.js';
import type { LogsIntake } from '../assembler/intake-port.js';
import { addExportService } from './export-service.js';
import type { GrpcExportContext } from './export-service.js';

export const LOGS_SERVICE_NAME = 'opentelemetry.proto.collector.logs.v1.LogsService';

export interface GrpcLogsParts {
  readonly intake: LogsIntake;
  /** The trace pipeline: its bearer-token check is the logs service's too. */
  readonly tracePipeline: ExportPipeline;
}

export function addLogsService(server: grpc.Server, parts: GrpcLogsParts, context: GrpcExportContext): void {
  const pipeline = new LogsPipeline(parts.intake, LogsMetrics.of(context.metrics.registry, parts.intake));
  addExportService(
    server,
    {
      serviceName: LOGS_SERVICE_NAME,
      signal: 'logs',
      authenticate: (authorization) => parts.tracePipeline.authenticate(authorization),
      export: async (message, log) => {
        const { partialSuccess, reasons } = await pipeline.export('protobuf', message);
        if (partialSuccess)
          log?.warn({ rejected: partialSuccess.rejectedLogRecords, reasons }, 'log records rejected');
        return encodeLogsExportResponse('protobuf', partialSuccess);
      },
    },
    context,
  );
}
