/**
 * The collector's HTTP application: OTLP/HTTP trace receiver (a transport over the shared export
 * pipeline, `receiver/export-pipeline.ts`), health, readiness and metrics.
 * It holds no listening socket and reads no environment (see `collector-command.ts`), so tests drive it
 * in-process with `inject`.
 */
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { encodeExportResponse } from '../otlp/encode-response.js';
import { ExportPipeline } from '../receiver/export-pipeline.js';
import type { TraceIntake } from '../assembler/intake-port.js';
import type { Health, Readiness } from '../receiver/readiness.js';
import type { Forwarder } from '../receiver/forwarder.js';
import type { CollectorMetrics } from '../receiver/metrics.js';
import { isLogsIntake } from '../assembler/intake-port.js';
import { LOGS_PATH, registerLogsRoute } from './logs-route.js';
import { registerOtlpRoute } from './otlp-route.js';
import type { OtlpRouteContext } from './otlp-route.js';

export const TRACES_PATH = '/v1/traces';

export interface CollectorAppOptions {
  /** Largest request body accepted, after decompression. */
  readonly maxBodyBytes: number;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Fastify's logger option: false in tests, pino options in the server. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Time allowed to receive a whole request; cuts off slow ("slow loris") bodies. */
  readonly requestTimeoutMs?: number;
  /** Serve HTTPS with this certificate chain and private key (PEM) instead of plain HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

export interface CollectorAppParts {
  readonly intake: TraceIntake;
  readonly metrics: CollectorMetrics;
  readonly readiness: () => Readiness;
  /** What `/health` reports besides "the process runs": the store's state, for people and dashboards. */
  readonly health?: () => Health;
  readonly forwarder?: Forwarder;
}

/** How long the unread rest of a refused request's body is read and thrown away, at most. */
const LINGER_MS = 5000;

/**
 * Reads the rest of a refused request's body (over the cap, a gzip bomb) and throws it away, until
 * it ends or LINGER_MS have passed. Answering while the client is still sending makes it fail
 * writing instead of reading the answer; the answer then closes the connection, so the client
 * does not send its next request on it while it is being closed.
 */
function discardRestOfBody(request: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LINGER_MS).unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    request.once('end', done).once('close', done).resume();
  });
}

/** A request answered after this long is logged at info. */
const SLOW_REQUEST_MS = 1000;

/**
 * One line per request, when it completes, at debug: a balancer probing every second must not
 * fill the log. Failures are logged at error, refusals and slow requests at info (the traces route
 * logs its own refusals and failures with their reason, so they get no second line above debug).
 */
class RequestLog extends LogController {
  override incomingRequest(): void {
    // The completion line says it all.
  }

  override routeNotFound(): void {
    // Logged on completion, as a refusal.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime),
      ...(error ? { err: error } : {}),
    };
    const loggedByRoute =
      reply.statusCode >= 400 && [TRACES_PATH, LOGS_PATH].includes(request.routeOptions.url ?? '');
    if (loggedByRoute) request.log.debug(fields, 'request');
    else if (error || reply.statusCode >= 500) request.log.error(fields, 'request failed');
    else if (reply.statusCode >= 400) request.log.info(fields, 'request refused');
    else if (reply.elapsedTime >= SLOW_REQUEST_MS) request.log.info(fields, 'slow request');
    else request.log.debug(fields, 'request');
  }
}

export function buildCollectorApp(options: CollectorAppOptions, parts: CollectorAppParts): FastifyInstance {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const serverTimeouts = {
    connectionsCheckingInterval: Math.min(1000, requestTimeout),
    headersTimeout: requestTimeout,
  };
  const app = Fastify({
    logger: options.logger ?? false,
    // Fastify logs two lines per request at info, health probes included: see RequestLog.
    logController: new RequestLog(),
    requestTimeout,
    // Node checks these timeouts only every `connectionsCheckingInterval` (30 s by default) and
    // waits 60 s for headers: a client dripping its request was cut after up to 90 s. Checked
    // every second, with the same limit for headers, it is cut at the configured time.
    // With TLS the same options go to the HTTPS server (Fastify passes `http` only to plain HTTP).
    http: serverTimeouts,
    // The traces route reads and caps its own body; routes without a body never parse one.
    bodyLimit: options.maxBodyBytes,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, ...serverTimeouts } } : {}),
  });
  const { metrics } = parts;
  const pipeline = new ExportPipeline({
    intake: parts.intake,
    metrics,
    ...(parts.forwarder ? { forwarder: parts.forwarder } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const routes: OtlpRouteContext = { metrics, maxBodyBytes: options.maxBodyBytes, discardRestOfBody };
  registerOtlpRoute(
    app,
    {
      path: TRACES_PATH,
      signal: 'trace',
      authenticate: (authorization) => pipeline.authenticate(authorization),
      export: async (encoding, body, log) => {
        const { partialSuccess, reasons } = await pipeline.export(encoding, body);
        if (partialSuccess) log.warn({ rejected: partialSuccess.rejectedSpans, reasons }, 'spans rejected');
        return encodeExportResponse(encoding, partialSuccess);
      },
    },
    routes,
  );

  if (isLogsIntake(parts.intake))
    registerLogsRoute(app, { intake: parts.intake, tracePipeline: pipeline }, routes);

  // Liveness: 200 while the process runs, whatever the store does; its state is detail here (it
  // says why traces are being spooled, e.g. a missing privilege).
  app.get('/health', (_request, reply) => reply.send({ status: 'ok', ...parts.health?.() }));

  app.get('/ready', (_request, reply) => {
    const readiness = parts.readiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', metrics.contentType).send(await metrics.text());
  });

  return app;
}
