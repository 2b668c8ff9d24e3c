/**
 * The OTLP/gRPC trace receiver (`TraceService/Export`, port 4317 by default) and the standard gRPC
 * health service. A thin transport over the same export pipeline as OTLP/HTTP: the request message
 * arrives as its protobuf bytes (decompressed and size-capped by grpc-js), and the pipeline
 * decodes, journals and answers them exactly as it does a protobuf HTTP body.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { FastifyBaseLogger } from 'fastify';
import { encodeExportResponse } from '../otlp/encode-response.js';
import type { Forwarder } from '../receiver/forwarder.js';
import type { CollectorMetrics } from '../receiver/metrics.js';
import { ExportPipeline } from '../receiver/export-pipeline.js';
import type { TraceIntake } from '../assembler/intake-port.js';
import type { Readiness } from '../receiver/readiness.js';
import { addExportService } from './export-service.js';
import { addLogsService } from './grpc-logs-service.js';
import { isLogsIntake } from '../assembler/intake-port.js';

export const TRACE_SERVICE_NAME = 'opentelemetry.proto.collector.trace.v1.TraceService';

export interface GrpcReceiverOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Largest request message accepted, after decompression (grpc-js answers RESOURCE_EXHAUSTED past it). */
  readonly maxBodyBytes: number;
  /** When set, calls must carry `authorization: Bearer <token>` metadata. */
  readonly token?: string;
  /** Serve TLS with this certificate chain and private key (PEM). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** How often the health service's status follows readiness. Default 1000 ms. */
  readonly healthIntervalMs?: number;
  /** How long close waits for calls under way before cutting them. Default 10000 ms. */
  readonly closeTimeoutMs?: number;
}

export interface GrpcReceiverParts {
  readonly intake: TraceIntake;
  readonly metrics: CollectorMetrics;
  readonly readiness: () => Readiness;
  readonly forwarder?: Forwarder;
  readonly log?: FastifyBaseLogger;
}

type ServingStatus = 'SERVING' | 'NOT_SERVING';

export class GrpcReceiver {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: grpc.Server,
    private readonly health: HealthImplementation,
    private readonly healthTimer: NodeJS.Timeout,
    /** The port bound (the one asked for, or the one picked for 0). */
    readonly port: number,
    private readonly closeTimeoutMs: number,
  ) {}

  static async start(options: GrpcReceiverOptions, parts: GrpcReceiverParts): Promise<GrpcReceiver> {
    const pipeline = new ExportPipeline({
      intake: parts.intake,
      metrics: parts.metrics,
      ...(parts.forwarder ? { forwarder: parts.forwarder } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
    });
    const server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxBodyBytes,
    });
    const context = { metrics: parts.metrics, ...(parts.log ? { log: parts.log } : {}) };
    addExportService(
      server,
      {
        serviceName: TRACE_SERVICE_NAME,
        signal: 'trace',
        authenticate: (authorization) => pipeline.authenticate(authorization),
        export: async (message, log) => {
          const { partialSuccess, reasons } = await pipeline.export('protobuf', message);
          if (partialSuccess)
            log?.warn({ rejected: partialSuccess.rejectedSpans, reasons }, 'spans rejected');
          return encodeExportResponse('protobuf', partialSuccess);
        },
      },
      context,
    );
    if (isLogsIntake(parts.intake))
      addLogsService(server, { intake: parts.intake, tracePipeline: pipeline }, context);

    const servingStatus = (): ServingStatus => (parts.readiness().ready ? 'SERVING' : 'NOT_SERVING');
    const health = new HealthImplementation({ '': servingStatus(), [TRACE_SERVICE_NAME]: servingStatus() });
    health.addToServer(server);
    const follow = () => {
      const status = servingStatus();
      health.setStatus('', status);
      health.setStatus(TRACE_SERVICE_NAME, status);
    };
    const healthTimer = setInterval(follow, options.healthIntervalMs ?? 1000);
    healthTimer.unref();

    const credentials = options.tls
      ? grpc.ServerCredentials.createSsl(null, [
          { cert_chain: options.tls.cert, private_key: options.tls.key },
        ])
      : grpc.ServerCredentials.createInsecure();
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host}:${options.port}`, credentials, (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
    } catch (error) {
      clearInterval(healthTimer);
      server.forceShutdown();
      throw new Error(`cannot listen for OTLP/gRPC on ${host}:${options.port}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new GrpcReceiver(server, health, healthTimer, port, options.closeTimeoutMs ?? 10_000);
  }

  /** Reports NOT_SERVING, stops accepting, lets calls under way finish (bounded), then closes. Runs once. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.healthTimer);
      this.health.setStatus('', 'NOT_SERVING');
      this.health.setStatus(TRACE_SERVICE_NAME, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, this.closeTimeoutMs);
        this.server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    })());
  }
}
