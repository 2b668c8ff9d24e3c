/**
 * One client process of the load test: an application recording whole pipelines (every stage,
 * a fallback now and then, feedback on every fifth query) with the SDK, sent to the collector by
 * the official OTLP/HTTP protobuf exporter, at a steady rate. Every export call is timed from the
 * call to its acknowledgement. Environment: COLLECTOR_URL, QUERIES_PER_SECOND, DURATION_MS.
 * Prints one JSON line at the end: the trace IDs acknowledged and failed, the latencies.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRecorder } from '@aitdr/sdk';
import type { StageRecorder } from '@aitdr/sdk';

const url = `${process.env.COLLECTOR_URL!}/v1/traces`;
const queriesPerSecond = Number(process.env.QUERIES_PER_SECOND);
const durationMs = Number(process.env.DURATION_MS);

const acknowledged: string[] = [];
const failed: string[] = [];
const latenciesMs: number[] = [];

/** The official exporter, with each call timed and its traces sorted by the answer. */
class TimedExporter implements SpanExporter {
  private readonly inner = new OTLPTraceExporter({ url });
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const started = performance.now();
    this.inner.export(spans, (result) => {
      const traceIds = new Set(spans.map((span) => span.spanContext().traceId));
      if (result.code === ExportResultCode.SUCCESS) {
        latenciesMs.push(performance.now() - started);
        acknowledged.push(...traceIds);
      } else {
        failed.push(...traceIds);
      }
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

const recorder = await createRecorder({ exporter: new TimedExporter(), serviceName: 'load-client' });
const api = { source: 'api', operationName: 'chat', provider: 'openai', requestModel: 'gpt-4o' } as const;
const local = {
  source: 'local',
  operationName: 'chat',
  provider: 'ollama',
  requestModel: 'sqlcoder-7b',
} as const;

async function pipeline(n: number): Promise<void> {
  const { queryId, rootSpanId } = await recorder.recordQuery(
    { text: `load question ${n} from ${process.pid}`, context: { sessionId: `s-${process.pid}` } },
    async (query) => {
      query.classification({ category: 'production_efficiency', confidence: 0.9, complexity: 'moderate' });
      query.schemaContext({
        retrievalMethod: 'keyword',
        tables: ['PRODUCTION_RUNS', 'LINES'],
        tokenCount: 412,
      });
      const generate = (model: typeof api | typeof local, scope: StageRecorder) =>
        scope.modelInteraction(model, (stage) => {
          stage.set({
            generatedSql: 'SELECT LINE_ID, AVG(EFFICIENCY) FROM PRODUCTION_RUNS GROUP BY LINE_ID',
            inputTokens: 800,
            outputTokens: 30,
          });
          return Promise.resolve(stage.spanId);
        });
      let interactionId = await generate(local, query);
      if (n % 4 === 0) {
        interactionId = await query.fallback(
          { fromSource: 'local', toSource: 'api', reason: 'invalid_sql' },
          (fallback) => generate(api, fallback),
        );
      }
      query.responseSelection({
        selectedSource: n % 4 === 0 ? 'api' : 'local',
        strategy: 'local_preferred',
        selectedInteractionId: interactionId,
      });
      query.sqlProcessing({
        originalSql: 'SELECT 1',
        processedSql: 'SELECT 1 FETCH FIRST 1000 ROWS ONLY',
        isValid: true,
        interactionId,
      });
      query.execution({
        queryText: 'SELECT 1',
        dbSystem: 'oracle.db',
        success: true,
        returnedRows: 12,
        interactionId,
      });
    },
  );
  if (n % 5 === 0) await recorder.recordFeedback({ queryId, rootSpanId, rating: 4, isCorrect: true });
}

const started = performance.now();
let n = 0;
for (; performance.now() - started < durationMs; n++) {
  // A steady pace: query n starts at n / rate seconds, or at once when behind.
  const due = started + (n * 1000) / queriesPerSecond;
  if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
  await pipeline(n);
}
await recorder.shutdown();
process.stdout.write(`${JSON.stringify({ queries: n, acknowledged, failed, latenciesMs })}\n`);
