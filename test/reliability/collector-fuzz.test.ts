/**
 * Hostile and broken input on the collector's OTLP endpoint (its CLI, in a child process, on
 * SQLite): a seeded stream of random, truncated, mutated and malformed requests, invalid IDs,
 * huge and deeply nested values, many tiny spans, a gzip bomb, bodies over the cap, and slow
 * ("slow loris") connections dripping their headers or body. Every request gets a 4xx or a 200
 * (reporting the spans it rejected), valid traces beside invalid spans are stored, the process
 * stays up and its memory stays bounded. Reproduce a failure with AITDR_RELIABILITY_SEED.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRng } from '@aitdr/demo';
import { ExportTraceServiceResponseType } from '../../collector/src/otlp/trace-proto.js';
import { spawnCollector } from '../support/collector-process.js';
import type { CollectorProcess } from '../support/collector-process.js';
import { PROTOBUF, hostileRequestKinds } from '../support/hostile-otlp.js';
import type { HostileRequest } from '../support/hostile-otlp.js';
import {
  LONG_FORM,
  SEED,
  duration,
  report,
  scrapeMetrics,
  sleep,
  storedTraceIds,
} from '../support/reliability.js';
import { sqliteStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';

const MAX_BODY_BYTES = (LONG_FORM ? 8 : 2) * 1024 * 1024;
const REQUESTS = duration(200, 4000);
/** Many tiny spans: in one trace, or each a trace (which costs the writer far more), and how often. */
const TINY = {
  spansInOneTrace: duration(20_000, 200_000),
  traces: duration(5_000, 5_000),
  requestsOfEach: duration(6, 5),
};
const SLOW_CONNECTIONS = 10;
/**
 * Memory: the collector runs with a small Node.js heap (an out-of-memory crash fails the test, as
 * "the process stays up") sized from its configured bounds: the spans held and those being
 * written (up to twice AITDR_MAX_HELD_SPANS), a request of tiny spans being decoded, and the idle
 * process. A decoded span takes a few KiB. Its RSS must stay under the heap plus what lives
 * outside it (code, buffers).
 */
const MAX_HELD_SPANS = duration(20_000, 100_000);
const HEAP_MIB = duration(384, 1024);
const RSS_BOUND_MIB = HEAP_MIB + 256;

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

interface Answer {
  readonly status: number;
  readonly rejectedSpans: number;
}

function* chunksOf(body: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size);
}

async function send(url: string, request: HostileRequest): Promise<Answer> {
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: request.headers,
    ...(request.chunked
      ? { body: Readable.toWeb(Readable.from(chunksOf(request.body))), duplex: 'half' }
      : { body: request.body }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = Buffer.from(await response.arrayBuffer());
  let rejectedSpans = 0;
  if (response.status === 200) {
    const partial =
      response.headers.get('content-type') === PROTOBUF
        ? (
            ExportTraceServiceResponseType.toObject(ExportTraceServiceResponseType.decode(body), {
              longs: Number,
            }) as {
              partialSuccess?: { rejectedSpans?: number };
            }
          ).partialSuccess
        : (JSON.parse(body.toString()) as { partialSuccess?: { rejectedSpans?: number | string } })
            .partialSuccess;
    rejectedSpans = Number(partial?.rejectedSpans ?? 0);
  }
  return { status: response.status, rejectedSpans };
}

/** A connection that sends its request a byte at a time, every `everyMs`: its headers, or its body. */
function slowConnection(port: number, dripHeaders: boolean, everyMs: number) {
  const head = `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${PROTOBUF}\r\nContent-Length: 1000000\r\n\r\n`;
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  let closedByUs = false;
  let closedByServer = false;
  let position = 0;
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedByServer = !closedByUs));
  if (!dripHeaders) socket.write(head);
  const timer = setInterval(() => {
    if (socket.writable) socket.write(dripHeaders && position < head.length ? head[position++]! : 'x');
  }, everyMs);
  return {
    get answer() {
      return answer;
    },
    get closedByServer() {
      return closedByServer;
    },
    close() {
      clearInterval(timer);
      closedByUs = true;
      socket.destroy();
    },
  };
}

describe('collector under hostile and broken input', () => {
  const dir = createTemporaryDirectory('aitdr-fuzz-');
  let store: StoreUnderTest;
  let collector: CollectorProcess;

  beforeAll(async () => {
    store = await sqliteStore();
    collector = await spawnCollector(
      [
        '--store',
        store.url,
        '--state-dir',
        join(dir.path, 'spool'),
        '--max-body-bytes',
        String(MAX_BODY_BYTES),
        '--wait-ms',
        '50',
        // Mangled traces may have lost their root: they are written after this wait.
        '--max-wait-ms',
        '2000',
        '--max-held-spans',
        String(MAX_HELD_SPANS),
      ],
      { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` },
    );
  });

  afterAll(async () => {
    collector?.child.kill('SIGKILL');
    await collector?.exited;
    await store?.close();
    dir.remove();
  });

  it('answers every request with a 4xx or a 200, keeps valid traces, stays up and bounded', async () => {
    const pid = collector.child.pid!;
    const port = Number(new URL(collector.url).port);
    const slow = Array.from({ length: SLOW_CONNECTIONS }, (_, i) => slowConnection(port, i % 2 === 0, 500));

    const kinds = hostileRequestKinds(MAX_BODY_BYTES, TINY);
    const names = Object.keys(kinds) as (keyof typeof kinds)[];
    const rng = createRng(`${SEED}/fuzz`);
    const byKind = new Map<string, Record<number, number>>();
    const problems: string[] = [];
    const millisByKind = new Map<string, number>();
    let backpressured = 0;
    const planted = new Set<string>();
    let peakRssMiB = 0;
    // First a burst of the many-tiny-spans requests, back to back (the heaviest on memory), then
    // every other kind in turn. Each request from a generator of its own: one failing request
    // reproduces alone.
    const tinyKinds = names.filter((name) => name.startsWith('many tiny'));
    const schedule = [
      ...Array.from({ length: TINY.requestsOfEach }, (_, j) =>
        tinyKinds.map((kind) => ({ kind, key: `${kind} ${j}` })),
      ).flat(),
      ...Array.from({ length: REQUESTS }, (_, i) => {
        const others = names.filter((name) => !tinyKinds.includes(name));
        return { kind: others[i % others.length]!, key: String(i) };
      }),
    ];
    for (const [i, { kind, key }] of schedule.entries()) {
      const request = kinds[kind](rng.fork(key));
      const started = performance.now();
      let answer = await send(collector.url, request);
      // 429 is backpressure (many tiny traces keep the writer busy): retry as a client would, a
      // little later, so every request is judged on its content.
      for (let retry = 0; answer.status === 429 && retry < 300; retry++) {
        backpressured += 1;
        await sleep(100);
        answer = await send(collector.url, request);
      }
      millisByKind.set(kind, (millisByKind.get(kind) ?? 0) + performance.now() - started);
      const counts = byKind.get(kind) ?? {};
      counts[answer.status] = (counts[answer.status] ?? 0) + 1;
      byKind.set(kind, counts);
      const acceptable =
        request.status === undefined ? [200, 400].includes(answer.status) : answer.status === request.status;
      if (!acceptable) problems.push(`request ${i} (${kind}): ${answer.status}`);
      if (answer.status === 200) {
        for (const id of request.planted) planted.add(id);
        if (request.invalidSpans !== undefined && request.invalidSpans !== answer.rejectedSpans)
          problems.push(
            `request ${i} (${kind}): ${answer.rejectedSpans} spans rejected, ${request.invalidSpans} invalid`,
          );
      }
      peakRssMiB = Math.max(peakRssMiB, rssMiB(pid));
    }

    // Slow connections: they held no one up; in the long form, the server also cuts them off.
    let slowClosedByServer = 0;
    if (LONG_FORM) {
      await vi.waitFor(() => expect(slow.every((c) => c.closedByServer)).toBe(true), {
        timeout: 150_000,
        interval: 1000,
      });
      slowClosedByServer = slow.filter((c) => c.closedByServer).length;
      for (const connection of slow) expect(connection.answer).toMatch(/^(HTTP\/1\.1 408|$)/);
    }
    for (const connection of slow) connection.close();

    expect(problems).toEqual([]);
    expect(await Promise.race([collector.exited, sleep(10).then(() => 'running')])).toBe('running');
    expect((await fetch(`${collector.url}/health`)).status).toBe(200);
    expect(peakRssMiB).toBeLessThan(RSS_BOUND_MIB);

    // The valid traces that came beside invalid spans, huge values or nested values are stored.
    expect(planted.size).toBeGreaterThan(0);
    await vi.waitFor(
      async () => {
        const stored = await storedTraceIds(store);
        expect([...planted].filter((id) => !stored.has(id))).toEqual([]);
      },
      { timeout: 60_000, interval: 500 },
    );
    const metrics = await scrapeMetrics(collector.url);
    await vi.waitFor(
      async () => expect((await scrapeMetrics(collector.url)).get('aitdr_collector_held_spans')).toBe(0),
      {
        timeout: 60_000,
      },
    );
    report('collector-fuzz', {
      requests: schedule.length,
      maxBodyBytes: MAX_BODY_BYTES,
      tiny: TINY,
      tinySpansAccepted:
        (byKind.get('many tiny spans, one trace')?.[200] ?? 0) * TINY.spansInOneTrace +
        (byKind.get('many tiny spans, as many traces')?.[200] ?? 0) * TINY.traces,
      statusesByKind: Object.fromEntries(byKind),
      answered429ThenRetried: backpressured,
      millisByKind: Object.fromEntries([...millisByKind].map(([k, ms]) => [k, Math.round(ms)])),
      plantedStored: planted.size,
      spansRejected: metrics.get('aitdr_collector_spans_rejected_total'),
      heapMiB: HEAP_MIB,
      maxHeldSpans: MAX_HELD_SPANS,
      peakRssMiB: Math.round(peakRssMiB),
      finalRssMiB: Math.round(rssMiB(pid)),
      slowConnections: SLOW_CONNECTIONS,
      slowClosedByServer,
    });
  }, 600_000);
});
