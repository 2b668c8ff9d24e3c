/**
 * What sits in front of several collectors, in the test process: an OTLP/HTTP and an OTLP/gRPC
 * front that either route each span by its trace ID to one backend (hash of the trace ID modulo
 * the backends, as the OpenTelemetry Collector's loadbalancing exporter with `routing_key:
 * traceID` does: a request is split, each part re-encoded and sent to its backend) or send whole
 * requests round-robin (a plain L4 balancer, which passes over a backend it cannot reach). The
 * client is answered with success only when every part was; otherwise with the backend's refusal,
 * or 503/UNAVAILABLE when a backend could not be reached, so the client retries.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceRequestType } from '../../collector/src/otlp/trace-proto.js';

export type Routing = 'trace-id' | 'round-robin';

interface SpanLike {
  traceId?: Uint8Array;
}
interface RequestShape {
  resourceSpans?: { scopeSpans?: { spans?: SpanLike[] }[] }[];
}

/** Splits a protobuf ExportTraceServiceRequest into one request per backend, by trace ID. */
export function splitByTraceId(body: Buffer, backends: number): Map<number, Buffer> {
  const request = ExportTraceServiceRequestType.toObject(ExportTraceServiceRequestType.decode(body), {
    longs: String,
    bytes: Buffer,
  }) as RequestShape;
  const parts = new Map<number, RequestShape>();
  for (const resourceSpans of request.resourceSpans ?? []) {
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        const backend = backendOf(Buffer.from(span.traceId ?? []), backends);
        let part = parts.get(backend);
        if (!part) parts.set(backend, (part = { resourceSpans: [] }));
        // One resource/scope entry per span keeps the code short; the collector decodes either shape.
        part.resourceSpans!.push({ ...resourceSpans, scopeSpans: [{ ...scopeSpans, spans: [span] }] });
      }
    }
  }
  return new Map(
    [...parts].map(([backend, part]) => [
      backend,
      Buffer.from(
        ExportTraceServiceRequestType.encode(ExportTraceServiceRequestType.fromObject(part)).finish(),
      ),
    ]),
  );
}

function backendOf(traceId: Buffer, backends: number): number {
  return createHash('sha256').update(traceId).digest().readUInt32BE(0) % backends;
}

interface Answer {
  readonly ok: boolean;
  /** HTTP status or gRPC code of a refusal. */
  readonly status: number;
  readonly message: string;
}

/** Fans a request out by the routing, and answers with the first refusal, or success. */
abstract class Front {
  private next = 0;

  constructor(
    protected readonly routing: Routing,
    /** Backend addresses; replaced in place when a backend restarts on a new port. */
    readonly backends: string[],
  ) {}

  protected async route(body: Buffer): Promise<Answer> {
    if (this.routing === 'round-robin') {
      // A balancer passes over a backend it cannot connect to; a refusal it passes on.
      let answer: Answer | undefined;
      for (let tries = 0; tries < this.backends.length; tries++) {
        const backend = this.next++ % this.backends.length;
        answer = await this.send(backend, body);
        if (answer.ok || answer.status !== this.unreachable) return answer;
      }
      return answer!;
    }
    const parts = splitByTraceId(body, this.backends.length);
    const answers = await Promise.all([...parts].map(([backend, part]) => this.send(backend, part)));
    return answers.find((answer) => !answer.ok) ?? { ok: true, status: 0, message: '' };
  }

  /** The status a backend that cannot be reached stands for (503, UNAVAILABLE). */
  protected abstract readonly unreachable: number;
  protected abstract send(backend: number, body: Buffer): Promise<Answer>;
  abstract close(): Promise<void>;
}

export class HttpFront extends Front {
  protected readonly unreachable = 503;
  private server!: Server;
  url = '';

  static async start(routing: Routing, backends: string[]): Promise<HttpFront> {
    const front = new HttpFront(routing, backends);
    front.server = createServer((request, response) => void front.handle(request, response));
    await new Promise<void>((resolve) => front.server.listen(0, '127.0.0.1', resolve));
    front.url = `http://127.0.0.1:${(front.server.address() as AddressInfo).port}`;
    return front;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const answer = await this.route(Buffer.concat(chunks));
    if (answer.ok) {
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      return;
    }
    response
      .writeHead(answer.status, { 'content-type': 'text/plain', 'retry-after': '1' })
      .end(answer.message);
  }

  protected async send(backend: number, body: Buffer): Promise<Answer> {
    try {
      const response = await fetch(`${this.backends[backend]}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      return { ok: response.ok, status: response.status, message: text };
    } catch (error) {
      return { ok: false, status: this.unreachable, message: (error as Error).message };
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const bytes = (message: Buffer) => message;

export class GrpcFront extends Front {
  protected readonly unreachable = grpc.status.UNAVAILABLE;
  private readonly server = new grpc.Server();
  private readonly clients = new Map<string, grpc.Client>();
  /** `host:port`, the form gRPC clients are given. */
  address = '';

  static async start(routing: Routing, backends: string[]): Promise<GrpcFront> {
    const front = new GrpcFront(routing, backends);
    front.server.addService(
      {
        Export: {
          path: EXPORT_PATH,
          requestStream: false,
          responseStream: false,
          requestSerialize: bytes,
          requestDeserialize: bytes,
          responseSerialize: bytes,
          responseDeserialize: bytes,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          void front.route(call.request).then((answer) =>
            answer.ok
              ? callback(null, Buffer.alloc(0))
              : callback(
                  Object.assign(new Error(answer.message), {
                    code: answer.status,
                    details: answer.message,
                  }),
                ),
          );
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      front.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    front.address = `127.0.0.1:${port}`;
    return front;
  }

  protected send(backend: number, body: Buffer): Promise<Answer> {
    // Backends are given as gRPC URLs (`http://127.0.0.1:port`); the client wants `host:port`.
    const address = this.backends[backend]!.replace(/^https?:\/\//, '');
    let client = this.clients.get(address);
    if (!client)
      this.clients.set(address, (client = new grpc.Client(address, grpc.credentials.createInsecure())));
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        EXPORT_PATH,
        bytes,
        bytes,
        body,
        new grpc.Metadata(),
        { deadline: Date.now() + 10_000 },
        (error) =>
          resolve(
            error
              ? { ok: false, status: error.code, message: error.details }
              : { ok: true, status: 0, message: '' },
          ),
      );
    });
  }

  close(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    this.server.forceShutdown();
    return Promise.resolve();
  }
}
