import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCollectorApp } from '../../src/http/app.js';
import { Forwarder, tracesUrl } from '../../src/receiver/forwarder.js';
import { CollectorMetrics } from '../../src/receiver/metrics.js';
import { protobufBody, queryTrace } from '../support/spans.js';

describe('Forwarder', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** A stand-in for Jaeger's OTLP/HTTP port that keeps what it receives. */
  async function receiver(status = 200) {
    const received: { url: string; contentType: string | undefined; body: Buffer }[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          url: request.url ?? '',
          contentType: request.headers['content-type'],
          body: Buffer.concat(chunks),
        });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
  }

  function collectorForwardingTo(endpoint: string) {
    const metrics = new CollectorMetrics();
    const forwarder = new Forwarder({ endpoint }, metrics);
    const app = buildCollectorApp(
      { maxBodyBytes: 1 << 20 },
      {
        intake: { accept: () => Promise.resolve() },
        metrics,
        readiness: () => ({ ready: true, checks: {} }),
        forwarder,
      },
    );
    closers.push(() => app.close());
    return { app, forwarder, metrics };
  }

  it('forwards each accepted request unchanged to the endpoint /v1/traces', async () => {
    const jaeger = await receiver();
    const { app, forwarder, metrics } = collectorForwardingTo(jaeger.url);
    const body = protobufBody(queryTrace());
    const response = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf' },
      payload: body,
    });
    expect(response.statusCode).toBe(200);
    await forwarder.close();
    expect(jaeger.received).toEqual([{ url: '/v1/traces', contentType: 'application/x-protobuf', body }]);
    expect(await metrics.text()).toMatch(/aitdr_collector_forwarded_requests_total\{outcome="ok"\} 1/);
  });

  it('never fails the store path: an endpoint that is down or refuses is counted, the client still gets 200', async () => {
    const refusing = await receiver(500);
    for (const endpoint of [refusing.url, 'http://127.0.0.1:1']) {
      const { app, forwarder, metrics } = collectorForwardingTo(endpoint);
      const response = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf' },
        payload: protobufBody(queryTrace()),
      });
      expect(response.statusCode).toBe(200);
      await forwarder.close();
      expect(await metrics.text()).toMatch(/aitdr_collector_forwarded_requests_total\{outcome="failed"\} 1/);
    }
  });

  it('takes a base URL or a full traces URL', () => {
    expect(tracesUrl('http://localhost:4318')).toBe('http://localhost:4318/v1/traces');
    expect(tracesUrl('http://jaeger:4318/custom/traces')).toBe('http://jaeger:4318/custom/traces');
  });
});
