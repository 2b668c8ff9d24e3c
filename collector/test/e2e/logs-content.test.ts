/**
 * OTLP logs reach the rows: log records that name a span (the contrib OpenAI instrumentation puts
 * prompts and responses there) are journaled, held with their trace and attached to their span as
 * events, whichever of spans and logs arrives first, and after the trace was written (it is written
 * again; the rows' empty columns fill, what they hold stays); through a restart too.
 */
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector } from '../../src/start-collector.js';
import type { RunningCollector } from '../../src/start-collector.js';
import { createTemporaryDirectory } from '../../../test/support/temp-dir.js';
import { logsJsonBody, logsProtobufBody } from '../support/log-records.js';
import type { TestLogRecord } from '../support/log-records.js';
import { protobufBody } from '../support/spans.js';
import { eventually, selectAll } from './support.js';
import { AI_MODEL_INTERACTIONS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { postgresStore, sqliteStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';

const PROMPT = 'Which line had the most downtime last week?';
const ANSWER = '```sql\nSELECT LINE_ID FROM DOWNTIME GROUP BY LINE_ID\n```';

/**
 * A query trace whose model call is made by a library: `withStage` wraps the library span in a
 * hand-made model_interaction stage span. Returns the spans and the span the content logs name.
 */
function libraryTrace(
  withStage: boolean,
  stageExtra: Record<string, string> = {},
): {
  spans: ReadableSpan[];
  traceId: string;
  contentSpanId: string;
  stageSpanId?: string;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'assistant' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('test');
  const root = tracer.startSpan('text_to_sql.query', {
    attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': 'downtime by line' },
  });
  let parent = trace.setSpan(ROOT_CONTEXT, root);
  let stageSpanId: string | undefined;
  const stage = withStage
    ? tracer.startSpan(
        'text_to_sql.model_interaction',
        {
          attributes: {
            'text_to_sql.stage': 'model_interaction',
            'text_to_sql.model.source': 'api',
            ...stageExtra,
          },
        },
        parent,
      )
    : undefined;
  if (stage) {
    stageSpanId = stage.spanContext().spanId;
    parent = trace.setSpan(ROOT_CONTEXT, stage);
  }
  // What @opentelemetry/instrumentation-openai puts on its span; the content goes to log records.
  const library = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.response.id': 'chatcmpl-1',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 31,
        'gen_ai.usage.output_tokens': 12,
      },
    },
    parent,
  );
  library.end();
  stage?.end();
  root.end();
  return {
    spans: exporter.getFinishedSpans(),
    traceId: root.spanContext().traceId,
    contentSpanId: library.spanContext().spanId,
    ...(stageSpanId ? { stageSpanId } : {}),
  };
}

/** The contrib instrumentation's content events (gen_ai.user.message, gen_ai.choice) for a span. */
function contentLogs(traceId: string, spanId: string): TestLogRecord[] {
  return [
    {
      traceId,
      spanId,
      eventName: 'gen_ai.user.message',
      attributes: { 'gen_ai.system': 'openai' },
      body: { content: PROMPT },
    },
    {
      traceId,
      spanId,
      eventName: 'gen_ai.choice',
      attributes: { 'gen_ai.system': 'openai' },
      body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: ANSWER } },
    },
  ];
}

async function post(
  collector: RunningCollector,
  path: string,
  body: Buffer,
  type = 'application/x-protobuf',
) {
  return fetch(`${collector.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
}

interface EventsRow {
  EVENTS: string | null;
}

describe('collector: content in OTLP log records joins its span', () => {
  let dir: { path: string; remove(): void };
  let database: string;
  let collector: RunningCollector;
  const start = () =>
    startCollector({
      store: `sqlite:${database}`,
      port: 0,
      spoolDirectory: join(dir.path, 'spool'),
      waitMs: 300,
      maxWaitMs: 3000,
    });

  beforeEach(async () => {
    dir = createTemporaryDirectory('aitdr-collector-logs-');
    database = join(dir.path, 'training.db');
    collector = await start();
  });
  afterEach(async () => {
    await collector.close();
    dir.remove();
  });

  const stageEvents = (traceId: string) =>
    selectAll<EventsRow>(database, 'SELECT EVENTS FROM AI_MODEL_INTERACTIONS WHERE QUERY_ID = ?', traceId);

  for (const order of ['logs first', 'spans first'] as const) {
    it(`attaches log records naming a stage span to its row's events (${order}, protobuf and JSON logs)`, async () => {
      const { spans, traceId, stageSpanId } = libraryTrace(true);
      const [user, choice] = contentLogs(traceId, stageSpanId!);
      const sendLogs = async () => {
        expect((await post(collector, '/v1/logs', logsProtobufBody([user!]))).status).toBe(200);
        expect((await post(collector, '/v1/logs', logsJsonBody([choice!]), 'application/json')).status).toBe(
          200,
        );
      };
      if (order === 'logs first') await sendLogs();
      expect((await post(collector, '/v1/traces', protobufBody(spans))).status).toBe(200);
      if (order === 'spans first') await sendLogs();

      await eventually(() => stageEvents(traceId).length === 1);
      const events = JSON.parse(stageEvents(traceId)[0]!.EVENTS ?? '[]') as {
        name: string;
        attributes: Record<string, unknown>;
      }[];
      expect(events.map((e) => e.name)).toEqual(['gen_ai.user.message', 'gen_ai.choice']);
      expect(JSON.parse(events[0]!.attributes['aitdr.log.body'] as string)).toEqual({ content: PROMPT });
      expect(JSON.parse(events[1]!.attributes['aitdr.log.body'] as string)).toMatchObject({
        message: { content: ANSWER },
      });
      expect(events[0]!.attributes['gen_ai.system']).toBe('openai');
      const metrics = await (await fetch(`${collector.url}/metrics`)).text();
      expect(metrics).toMatch(/aitdr_collector_log_events_attached_total 2/);
      expect(metrics).toMatch(/aitdr_collector_log_events_unattached_total 0/);
    });
  }

  for (const order of ['logs first', 'spans first'] as const) {
    it(`fills PROMPT and RESPONSE_TEXT from a library span's content logs (${order})`, async () => {
      for (const withStage of [true, false]) {
        const { spans, traceId, contentSpanId } = libraryTrace(withStage);
        const logs = logsProtobufBody(contentLogs(traceId, contentSpanId));
        if (order === 'logs first') expect((await post(collector, '/v1/logs', logs)).status).toBe(200);
        expect((await post(collector, '/v1/traces', protobufBody(spans))).status).toBe(200);
        if (order === 'spans first') expect((await post(collector, '/v1/logs', logs)).status).toBe(200);
        const rows = () =>
          selectAll<{ PROMPT: string | null; RESPONSE_TEXT: string | null; INPUT_TOKENS: number | null }>(
            database,
            'SELECT PROMPT, RESPONSE_TEXT, INPUT_TOKENS FROM AI_MODEL_INTERACTIONS WHERE QUERY_ID = ?',
            traceId,
          );
        await eventually(() => rows().length > 0);
        expect(rows()).toHaveLength(1);
        expect(rows()[0]!.PROMPT).toContain(PROMPT);
        expect(rows()[0]!.RESPONSE_TEXT).toContain('SELECT LINE_ID FROM DOWNTIME');
        expect(rows()[0]!.INPUT_TOKENS).toBe(31);
      }
    });
  }

  it('keeps logs that arrived before their spans across a restart (journaled before the 200)', async () => {
    const { spans, traceId, stageSpanId } = libraryTrace(true);
    expect(
      (await post(collector, '/v1/logs', logsProtobufBody(contentLogs(traceId, stageSpanId!)))).status,
    ).toBe(200);
    await collector.close();
    collector = await start();
    expect((await post(collector, '/v1/traces', protobufBody(spans))).status).toBe(200);
    await eventually(() => stageEvents(traceId).length === 1);
    const events = JSON.parse(stageEvents(traceId)[0]!.EVENTS ?? '[]') as { name: string }[];
    expect(events.map((e) => e.name)).toEqual(['gen_ai.user.message', 'gen_ai.choice']);
  });

  it('counts, and does not refuse, logs naming no span and logs for a trace no longer kept', async () => {
    const { spans, traceId, stageSpanId } = libraryTrace(true);
    expect((await post(collector, '/v1/traces', protobufBody(spans))).status).toBe(200);
    await eventually(() => stageEvents(traceId).length === 1);
    // Written traces are kept for the longest wait (maxWaitMs here 3000 ms), then let go.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const late = contentLogs(traceId, stageSpanId!);
    const response = await post(collector, '/v1/logs', logsProtobufBody([...late, { body: 'no span here' }]));
    expect(response.status).toBe(200);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/aitdr_collector_log_records_received_total 3/);
    expect(metrics).toMatch(/aitdr_collector_log_records_without_span_total 1/);
    expect(metrics).toMatch(/aitdr_collector_log_events_unattached_total 2/);
    expect(stageEvents(traceId)[0]!.EVENTS).toBeNull();
  });
});

describe.each(['sqlite', 'postgres'] as const)(
  'collector: log records that come after their trace was written, on %s',
  (storeName) => {
    let store: StoreUnderTest;
    let collector: RunningCollector;
    beforeEach(async () => {
      store = await (storeName === 'sqlite' ? sqliteStore() : postgresStore());
      collector = await startCollector({
        store: store.url,
        port: 0,
        stateDirectory: join(store.stateDirectory, 'collector'),
        waitMs: 300,
        maxWaitMs: 3000,
      });
    });
    afterEach(async () => {
      await collector.close();
      await store.close();
    });

    const rowsOf = async (table: TableDef, traceId: string) =>
      (await store.rows(table)).filter((row) => row.QUERY_ID === traceId);
    const attachedSoFar = async () =>
      Number(
        /aitdr_collector_log_events_attached_total (\d+)/.exec(
          await (await fetch(`${collector.url}/metrics`)).text(),
        )?.[1],
      );
    const until = async (check: () => Promise<boolean>) => {
      const deadline = Date.now() + 15_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    it('fills PROMPT and RESPONSE_TEXT; the app’s values stay; the same again changes nothing', async () => {
      // The app set the response itself on its stage span: the late content must not replace it.
      const appResponse = JSON.stringify([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: 'the app’s own answer' }],
          finish_reason: 'stop',
        },
      ]);
      for (const withStage of [false, true]) {
        const { spans, traceId, contentSpanId } = libraryTrace(
          withStage,
          withStage ? { 'gen_ai.output.messages': appResponse } : {},
        );
        const interactions = () => rowsOf(AI_MODEL_INTERACTIONS, traceId);
        expect((await post(collector, '/v1/traces', protobufBody(spans))).status).toBe(200);
        await until(async () => (await interactions().catch(() => [])).length > 0);
        expect((await interactions())[0]).toMatchObject({ PROMPT: null, INPUT_TOKENS: 31 });

        const logs = logsProtobufBody(contentLogs(traceId, contentSpanId));
        expect((await post(collector, '/v1/logs', logs)).status).toBe(200);
        await until(async () => (await interactions())[0]?.PROMPT != null);
        const [row, ...others] = await interactions();
        expect(others).toEqual([]);
        expect(row!.PROMPT).toContain(PROMPT);
        if (withStage) expect(row!.RESPONSE_TEXT).toBe(appResponse);
        else expect(row!.RESPONSE_TEXT).toContain('SELECT LINE_ID FROM DOWNTIME');

        // The same logs and spans once more: attached and written again, and no row changes.
        const before = {
          interactions: await interactions(),
          query: await rowsOf(AI_TRAINING_QUERIES, traceId),
        };
        const attachedBefore = await attachedSoFar();
        const written = () => collector.exporter.status().counters.written;
        const writtenBefore = written();
        expect((await post(collector, '/v1/logs', logs)).status).toBe(200);
        expect((await post(collector, '/v1/traces', protobufBody(spans))).status).toBe(200);
        await until(() => Promise.resolve(written() > writtenBefore));
        expect(await attachedSoFar()).toBe(attachedBefore + 2);
        expect({
          interactions: await interactions(),
          query: await rowsOf(AI_TRAINING_QUERIES, traceId),
        }).toEqual(before);
      }
      const metrics = await (await fetch(`${collector.url}/metrics`)).text();
      expect(metrics).toMatch(/aitdr_collector_log_events_unattached_total 0/);
    }, 60_000);
  },
);
