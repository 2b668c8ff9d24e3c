import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { context, diag, DiagLogLevel, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ATTR_FEEDBACK_QUERY_ID, ATTR_QUERY_TEXT, ATTR_SQL_ORIGINAL, ATTR_STAGE } from '@aitdr/conventions';
import { createRecorder, Recorder, TraceBufferProcessor } from '@aitdr/sdk';
import { RecordingExporter } from './helpers.js';

// Stands in for an installed @aitdr/exporter: OTEL_SDK_DISABLED must not even load it.
const exporterModule = vi.hoisted(() => ({ createTableExporter: vi.fn() }));
vi.mock('@aitdr/exporter', () => exporterModule);

const silent = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

beforeEach(() => {
  // No global context manager or provider: the app has none, as in a fresh process.
  context.disable();
  trace.disable();
});
afterEach(() => {
  vi.unstubAllEnvs();
  exporterModule.createTableExporter.mockReset();
});

describe('the recorder’s tracer provider with plain OpenTelemetry', () => {
  it('nests startActiveSpan spans, across awaits, without a global context manager', async () => {
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({ exporter });
    const tracer = recorder.tracerProvider.getTracer('app');
    let seenGlobally: unknown = 'not run';
    await tracer.startActiveSpan('handle question', async (root) => {
      seenGlobally = trace.getActiveSpan();
      await new Promise((resolve) => setTimeout(resolve, 1));
      await tracer.startActiveSpan('generate sql', async (child) => {
        await Promise.resolve();
        tracer.startSpan('call model').end();
        child.end();
      });
      root.end();
    });
    await recorder.forceFlush();

    const spans = exporter.calls.flat();
    const byName = new Map(spans.map((span) => [span.name, span]));
    const root = byName.get('handle question')!;
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(
      new Set([root.spanContext().traceId]),
    );
    expect(byName.get('generate sql')!.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(byName.get('call model')!.parentSpanContext?.spanId).toBe(
      byName.get('generate sql')!.spanContext().spanId,
    );
    // Nothing global was installed to do it: the API's own active span stays unset.
    expect(seenGlobally).toBeUndefined();
    await recorder.shutdown();
  });

  it('nests plain spans inside a query recorded with the helpers', async () => {
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({ exporter });
    const tracer = recorder.tracerProvider.getTracer('app');
    const { queryId } = await recorder.recordQuery('show downtime', async () => {
      await Promise.resolve();
      tracer.startActiveSpan('vector search', (span) => span.end());
    });
    await recorder.forceFlush();
    const search = exporter.calls.flat().find((span) => span.name === 'vector search')!;
    expect(search.spanContext().traceId).toBe(queryId);
    await recorder.shutdown();
  });
});

describe('OTEL_SDK_DISABLED=true', () => {
  it('records nothing and loads nothing, and the app’s callbacks still run', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    const recorder = await createRecorder({ store: 'sqlite:./never-opened.db' });
    const outcome = await recorder.recordQuery('show downtime', (query) => {
      query.classification({ category: 'analytics', confidence: 0.9 });
      return 'the answer';
    });
    const plain = recorder.tracerProvider
      .getTracer('app')
      .startActiveSpan('plain', (span) => (span.end(), span.isRecording()));
    const feedback = await recorder.recordFeedback({ queryId: outcome.queryId, rating: 5 });
    await recorder.shutdown();

    expect(outcome.result).toBe('the answer');
    expect(plain).toBe(false);
    expect(feedback.queryId).toBe(outcome.queryId);
    expect(exporterModule.createTableExporter).not.toHaveBeenCalled();
    expect(recorder.status().processor.tracesCompleted).toBe(0);
  });

  it('is ignored unless it says true', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'false');
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({ exporter });
    await recorder.recordQuery('q', () => undefined);
    await recorder.shutdown();
    expect(exporter.calls.flat()).toHaveLength(1);
  });
});

describe('general span limits', () => {
  it('never cut a recorded training attribute (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=16)', async () => {
    vi.stubEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '16');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', '16');
    vi.stubEnv('OTEL_ATTRIBUTE_COUNT_LIMIT', '2');
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({ exporter });
    const question = 'show production by line for last week';
    const sql = 'SELECT LINE_ID, SUM(QTY) FROM PRODUCTION GROUP BY LINE_ID';
    await recorder.recordQuery(question, (query) => {
      query.sqlProcessing({ originalSql: sql, isValid: true });
    });
    await recorder.shutdown();

    const spans = exporter.calls.flat();
    const root = spans.find((span) => span.attributes[ATTR_STAGE] === 'query')!;
    expect(root.attributes[ATTR_QUERY_TEXT]).toBe(question);
    const sqlSpan = spans.find((span) => span.attributes[ATTR_SQL_ORIGINAL] !== undefined)!;
    expect(sqlSpan.attributes[ATTR_SQL_ORIGINAL]).toBe(sql);
  });
});

describe('an app’s provider with attribute limits', () => {
  it('is detected: truncated stage spans are counted in status and warned about once', async () => {
    const warnings: string[] = [];
    diag.setLogger({ ...silent, warn: (message: string) => warnings.push(message) }, DiagLogLevel.WARN);
    const exporter = new RecordingExporter();
    const processor = new TraceBufferProcessor({ exporter });
    const provider = new BasicTracerProvider({
      spanProcessors: [processor],
      spanLimits: { attributeValueLengthLimit: 16 },
    });
    const recorder = new Recorder({ tracerProvider: provider, processor });
    await recorder.recordQuery('show production by line for last week', () => undefined);
    await recorder.recordQuery('show scrap by shift for last month', () => undefined);
    await recorder.recordQuery('short', () => undefined);
    await provider.shutdown();
    diag.disable();

    expect(exporter.calls.flat()[0]!.attributes[ATTR_QUERY_TEXT]).toBe('show production ');
    expect(recorder.status().processor.spansTruncated).toBe(2);
    expect(warnings.filter((message) => message.includes('cuts attribute values at 16'))).toHaveLength(1);
  });
});

describe('OTEL_TRACES_SAMPLER', () => {
  it('records a query whole or not at all, and its feedback with it', async () => {
    // A bare ratio sampler would decide every span apart.
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'traceidratio');
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0.5');
    const exporter = new RecordingExporter();
    const recorder = await createRecorder({ exporter });
    const queryIds: string[] = [];
    for (let index = 0; index < 40; index += 1) {
      const { queryId, rootSpanId } = await recorder.recordQuery(`question ${index}`, (query) => {
        query.classification({ category: 'analytics', confidence: 0.5 });
        query.sqlProcessing({ originalSql: 'SELECT 1 FROM DUAL', isValid: true });
      });
      queryIds.push(queryId);
      await recorder.recordFeedback({ queryId, rootSpanId, rating: 5 });
      await recorder.recordFeedback({ queryId, rating: 1 });
    }
    await recorder.shutdown();

    const spans = exporter.calls.flat();
    const spansOf = (queryId: string) => spans.filter((span) => span.spanContext().traceId === queryId);
    const feedbackOf = (queryId: string) =>
      spans.filter((span) => span.attributes[ATTR_FEEDBACK_QUERY_ID] === queryId);
    const recorded = queryIds.filter((queryId) => spansOf(queryId).length > 0);
    // Both decisions happened (the chance of all 40 alike is 2^-39).
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.length).toBeLessThan(queryIds.length);
    for (const queryId of queryIds) {
      const whole = recorded.includes(queryId);
      expect(spansOf(queryId)).toHaveLength(whole ? 3 : 0);
      expect(feedbackOf(queryId)).toHaveLength(whole ? 2 : 0);
    }
  });
});
