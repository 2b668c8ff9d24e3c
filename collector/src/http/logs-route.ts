/**
 * `POST /v1/logs`: OTLP/HTTP logs, protobuf and JSON, under the same rules as `/v1/traces`
 * (bearer token, body cap and content encodings, 400 with a message for bad input, partial
 * success, journaled before the 200, the same failure table). Registered by the app when its
 * intake takes logs.
 */
import type { FastifyInstance } from 'fastify';
import { encodeLogsExportResponse } from '../otlp/logs-response.js';
import type { ExportPipeline } from '../receiver/export-pipeline.js';
import { LogsMetrics, LogsPipeline } from '../receiver/logs-pipeline.js';
import type { LogsIntake } from '../assembler/intake-port.js';
import { registerOtlpRoute } from './otlp-route.js';
import type { OtlpRouteContext } from './otlp-route.js';

export const LOGS_PATH = '/v1/logs';

export interface LogsRouteParts {
  readonly intake: LogsIntake;
  /** The trace pipeline: its bearer-token check is the logs route's too. */
  readonly tracePipeline: ExportPipeline;
}

export function registerLogsRoute(
  app: FastifyInstance,
  parts: LogsRouteParts,
  context: OtlpRouteContext,
): void {
  const pipeline = new LogsPipeline(parts.intake, LogsMetrics.of(context.metrics.registry, parts.intake));
  registerOtlpRoute(
    app,
    {
      path: LOGS_PATH,
      signal: 'logs',
      authenticate: (authorization) => parts.tracePipeline.authenticate(authorization),
      export: async (encoding, body, log) => {
        const { partialSuccess, reasons } = await pipeline.export(encoding, body);
        if (partialSuccess)
          log.warn({ rejected: partialSuccess.rejectedLogRecords, reasons }, 'log records rejected');
        return encodeLogsExportResponse(encoding, partialSuccess);
      },
    },
    context,
  );
}
