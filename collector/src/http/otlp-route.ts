/**
 * One OTLP/HTTP export route, whatever the signal (traces, logs): bearer token, media type, body
 * cap and content encodings, the export itself, and one failure table turning each error into its
 * status, Retry-After and body. The signals differ only in their `export`.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { CONTENT_TYPES, encodeErrorStatus } from '../otlp/encode-response.js';
import type { OtlpEncoding } from '../otlp/encode-response.js';
import { ExportFailure, FAILURE_STATUS, exportFailureOf } from '../receiver/export-pipeline.js';
import type { CollectorMetrics } from '../receiver/metrics.js';
import { BodyTooLargeError, readBody } from '../receiver/read-body.js';

export interface OtlpRoute {
  readonly path: string;
  /** Names the signal in log lines ("trace", "logs"). */
  readonly signal: string;
  /** Throws an `ExportFailure` when the request's credentials are refused. */
  readonly authenticate: (authorization: string | undefined) => void;
  /** Exports one request's body and returns the encoded `200` answer (logging rejected items). */
  readonly export: (encoding: OtlpEncoding, body: Buffer, log: FastifyBaseLogger) => Promise<Buffer>;
}

/** What every OTLP route of one app shares. */
export interface OtlpRouteContext {
  readonly metrics: CollectorMetrics;
  /** Largest request body accepted, after decompression. */
  readonly maxBodyBytes: number;
  /** Lets a refused request's unsent body go before answering (see app.ts). */
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

export function registerOtlpRoute(app: FastifyInstance, route: OtlpRoute, context: OtlpRouteContext): void {
  const { metrics, maxBodyBytes } = context;
  app.post(route.path, async (request, reply) => {
    const started = process.hrtime.bigint();
    // Answer in the request's encoding when it is one of ours, JSON otherwise.
    const encoding = encodingOf(request.headers['content-type']);
    const responseEncoding = encoding ?? 'json';
    try {
      route.authenticate(request.headers.authorization);
      if (encoding === undefined) {
        throw new ExportFailure(
          'unsupported-media-type',
          `Content-Type must be ${CONTENT_TYPES.protobuf} or ${CONTENT_TYPES.json}, got ${request.headers['content-type'] ?? 'none'}`,
        );
      }
      const contentEncoding = request.headers['content-encoding'];
      const declaredLength = Number(request.headers['content-length'] ?? NaN);
      if ((contentEncoding ?? 'identity') === 'identity' && declaredLength > maxBodyBytes) {
        throw new BodyTooLargeError(maxBodyBytes);
      }
      const stream = request.body as IncomingMessage | undefined;
      const body = stream ? await readBody(stream, contentEncoding, maxBodyBytes) : Buffer.alloc(0);
      return send(reply, 200, encoding, await route.export(encoding, body, request.log));
    } catch (error) {
      const failure = exportFailureOf(error);
      const status = FAILURE_STATUS[failure.kind];
      // Backpressure is reported where it starts and stops (journal, writer), not as a failure per request.
      if (failure.kind === 'internal')
        request.log.error({ err: error }, `${route.signal} export request failed`);
      else
        request.log.info(
          { status: status.http, reason: failure.message },
          `${route.signal} export request refused`,
        );
      if (failure.retryAfterSeconds !== undefined)
        void reply.header('retry-after', String(failure.retryAfterSeconds));
      if (!request.raw.complete) {
        await context.discardRestOfBody(request.raw);
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
