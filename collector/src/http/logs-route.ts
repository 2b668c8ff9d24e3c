/**
 * `POST /v1/logs`: OTLP/HTTP logs, protobuf and JSON, under the same rules as `/v1/traces`
 * (bearer token, body cap and content encodings, 400 with a message for bad input, partial
 * success, journaled before the 200, the same failure table). Registered by the app when its
 * intake takes logs.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CONTENT_TYPES, encodeErrorStatus } from '../otlp/encode-response.js';
import type { OtlpEncoding } from '../otlp/encode-response.js';
import { encodeLogsExportResponse } from '../otlp/logs-response.js';
import { ExportFailure, FAILURE_STATUS, exportFailureOf } from '../receiver/export-pipeline.js';
import type { ExportPipeline } from '../receiver/export-pipeline.js';
import { LogsMetrics, LogsPipeline } from '../receiver/logs-pipeline.js';
import type { LogsIntake } from '../receiver/logs-pipeline.js';
import type { CollectorMetrics } from '../receiver/metrics.js';
import { BodyTooLargeError, readBody } from '../receiver/read-body.js';

export const LOGS_PATH = '/v1/logs';

export interface LogsRouteParts {
  readonly intake: LogsIntake;
  readonly metrics: CollectorMetrics;
  /** The trace pipeline: its bearer-token check is the logs route's too. */
  readonly tracePipeline: ExportPipeline;
  readonly maxBodyBytes: number;
  /** How the traces route lets a refused request's unsent body go (see app.ts). */
  readonly discardRestOfBody: (request: IncomingMessage) => Promise<void>;
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType === CONTENT_TYPES.protobuf) return 'protobuf';
  if (mediaType === CONTENT_TYPES.json) return 'json';
  return undefined;
}

function send(reply: FastifyReply, status: number, encoding: OtlpEncoding, body: Buffer): FastifyReply {
  return reply.code(status).header('content-type', CONTENT_TYPES[encoding]).send(body);
}

export function registerLogsRoute(app: FastifyInstance, parts: LogsRouteParts): void {
  const { metrics, tracePipeline, maxBodyBytes } = parts;
  const pipeline = new LogsPipeline(parts.intake, LogsMetrics.of(metrics.registry, parts.intake));

  app.post(LOGS_PATH, async (request, reply) => {
    const started = process.hrtime.bigint();
    const encoding = encodingOf(request.headers['content-type']);
    const responseEncoding = encoding ?? 'json';
    try {
      tracePipeline.authenticate(request.headers.authorization);
      if (encoding === undefined) {
        throw new ExportFailure(
          'unsupported-media-type',
          `Content-Type must be ${CONTENT_TYPES.protobuf} or ${CONTENT_TYPES.json}, got ${request.headers['content-type'] ?? 'none'}`,
        );
      }
      const contentEncoding = request.headers['content-encoding'];
      const declaredLength = Number(request.headers['content-length'] ?? NaN);
      if ((contentEncoding ?? 'identity') === 'identity' && declaredLength > maxBodyBytes)
        throw new BodyTooLargeError(maxBodyBytes);
      const stream = request.body as IncomingMessage | undefined;
      const body = stream ? await readBody(stream, contentEncoding, maxBodyBytes) : Buffer.alloc(0);
      const { partialSuccess, reasons } = await pipeline.export(encoding, body);
      if (partialSuccess)
        request.log.warn({ rejected: partialSuccess.rejectedLogRecords, reasons }, 'log records rejected');
      return send(reply, 200, responseEncoding, encodeLogsExportResponse(responseEncoding, partialSuccess));
    } catch (error) {
      const failure = exportFailureOf(error);
      const status = FAILURE_STATUS[failure.kind];
      if (failure.kind === 'internal') request.log.error({ err: error }, 'logs export request failed');
      else request.log.info({ status: status.http, reason: failure.message }, 'logs export request refused');
      if (failure.retryAfterSeconds !== undefined)
        void reply.header('retry-after', String(failure.retryAfterSeconds));
      if (!request.raw.complete) {
        await parts.discardRestOfBody(request.raw);
        void reply.header('connection', 'close');
      }
      return send(
        reply,
        status.http,
        responseEncoding,
        encodeErrorStatus(responseEncoding, status.grpc, failure.message),
      );
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = String(reply.statusCode);
      metrics.requests.inc({ status });
      metrics.requestDuration.observe({ status }, seconds);
    }
  });
}
