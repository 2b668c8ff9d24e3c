import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_EXECUTION_SUCCESS,
  ATTR_FALLBACK_SUCCEEDED,
  ATTR_MODEL_LATENCY_MS,
  ATTR_MODEL_SOURCE,
  ATTR_SELECTION_INTERACTION_ID,
  ATTR_SELECTION_STRATEGY,
  ATTR_SQL_INTERACTION_ID,
  ATTR_VALIDATION_IS_VALID,
  stageOf,
} from '@aitdr/conventions';
import type { Stage } from '@aitdr/conventions';
import {
  ApiModelStandIn,
  createRng,
  createSampleDatabase,
  DEMO_QUESTIONS,
  loadSqlParser,
  LocalModelStandIn,
  openSampleDatabase,
  readDatabaseSchema,
} from '@aitdr/demo';
import type { PipelineDependencies } from '@aitdr/demo';
import { createRecorder } from '@aitdr/sdk';
import { answerWithRecording, SimulatedClock } from '@aitdr/cli';
import type { DemoAnswer } from '@aitdr/cli';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const millis = (time: readonly [number, number]) => time[0] * 1000 + time[1] / 1e6;
const stageSpans = (spans: readonly ReadableSpan[], stage: Stage) =>
  spans.filter((span) => stageOf(span.attributes) === stage);

interface RecordedRun {
  readonly answers: DemoAnswer[];
  readonly traces: Map<string, ReadableSpan[]>;
}

async function recordRun(deps: PipelineDependencies, seed: number, questions: number): Promise<RecordedRun> {
  const exporter = new InMemorySpanExporter();
  const clock = new SimulatedClock();
  const recorder = await createRecorder({ exporter, clock: clock.recorderClock });
  const rng = createRng(seed);
  const answers: DemoAnswer[] = [];
  clock.jumpTo(Date.UTC(2026, 10, 2, 9));
  for (let i = 0; i < questions; i++) {
    const question = DEMO_QUESTIONS[i % DEMO_QUESTIONS.length]!.text;
    const { result } = await recorder.recordQuery(question, (query) =>
      answerWithRecording(query, question, deps, rng.fork(i), clock),
    );
    answers.push(result);
    await clock.wait(60_000);
  }
  await recorder.forceFlush();
  const traces = new Map<string, ReadableSpan[]>();
  for (const span of exporter.getFinishedSpans()) {
    const id = span.spanContext().traceId;
    traces.set(id, [...(traces.get(id) ?? []), span]);
  }
  await recorder.shutdown();
  return { answers, traces };
}

describe('answerWithRecording', () => {
  const dir = createTemporaryDirectory('aitdr-cli-pipeline-');
  let deps: PipelineDependencies;
  let run: RecordedRun;

  beforeAll(async () => {
    const path = join(dir.path, 'sample.db');
    createSampleDatabase(path, { seed: 7 });
    const db = openSampleDatabase(path);
    deps = {
      db,
      schema: readDatabaseSchema(db),
      parser: await loadSqlParser(),
      apiModel: new ApiModelStandIn(),
      localModel: new LocalModelStandIn(),
    };
    run = await recordRun(deps, 7, 240);
  });

  afterAll(() => {
    deps?.db.close();
    dir.remove();
  });

  it('records one trace per question with every stage of the pipeline under its root', () => {
    expect(run.traces.size).toBe(240);
    for (const spans of run.traces.values()) {
      const [root] = stageSpans(spans, 'query');
      expect(root).toBeDefined();
      expect(stageSpans(spans, 'classification')).toHaveLength(1);
      expect(stageSpans(spans, 'schema_context')).toHaveLength(1);
      const calls = stageSpans(spans, 'model_interaction');
      // Both models are asked at once, as children of the root.
      const first = calls.filter((s) => s.parentSpanContext?.spanId === root!.spanContext().spanId);
      expect(first.map((s) => s.attributes[ATTR_MODEL_SOURCE]).sort()).toEqual(['api', 'local']);
      expect(millis(first[0]!.startTime)).toBe(millis(first[1]!.startTime));
    }
  });

  it('lets every kind of trouble happen, with fallbacks covering what they fall back to', () => {
    const all = [...run.traces.values()].flat();
    const strategies = new Set(
      stageSpans(all, 'response_selection').map((s) => s.attributes[ATTR_SELECTION_STRATEGY]),
    );
    expect(strategies).toEqual(new Set(['agreement', 'api_preferred', 'only_candidate', 'fallback']));
    const errorTypes = new Set(stageSpans(all, 'model_interaction').map((s) => s.attributes['error.type']));
    expect(errorTypes).toEqual(new Set([undefined, 'timeout', 'rate_limited', 'server_error']));
    expect(
      stageSpans(all, 'sql_processing').some((s) => s.attributes[ATTR_VALIDATION_IS_VALID] === false),
    ).toBe(true);
    expect(stageSpans(all, 'execution').some((s) => s.attributes[ATTR_EXECUTION_SUCCESS] === false)).toBe(
      true,
    );
    expect(run.answers.some((a) => a.status === 'failed')).toBe(true);

    const fallbacks = stageSpans(all, 'fallback');
    expect(fallbacks.length).toBeGreaterThan(10);
    let replacementCalls = 0;
    for (const fallback of fallbacks) {
      const spans = run.traces.get(fallback.spanContext().traceId)!;
      const children = spans.filter((s) => s.parentSpanContext?.spanId === fallback.spanContext().spanId);
      const childStages = children.map((s) => stageOf(s.attributes));
      replacementCalls += childStages.filter((stage) => stage === 'model_interaction').length;
      // The fallback ends after the work it covers, which happens inside it.
      for (const child of children) {
        expect(millis(child.startTime)).toBeGreaterThanOrEqual(millis(fallback.startTime));
        expect(millis(child.endTime)).toBeLessThanOrEqual(millis(fallback.endTime));
      }
      if (fallback.attributes[ATTR_FALLBACK_SUCCEEDED] === true) expect(childStages).toContain('execution');
    }
    // Some fallbacks had no answer to turn to and asked the other model again, inside the fallback.
    expect(replacementCalls).toBeGreaterThan(0);
  });

  it('points selections, validations and executions at model interactions of the same trace', () => {
    for (const spans of run.traces.values()) {
      const interactions = new Set(stageSpans(spans, 'model_interaction').map((s) => s.spanContext().spanId));
      for (const selection of stageSpans(spans, 'response_selection')) {
        expect(interactions).toContain(selection.attributes[ATTR_SELECTION_INTERACTION_ID]);
      }
      for (const stage of [...stageSpans(spans, 'sql_processing'), ...stageSpans(spans, 'execution')]) {
        expect(interactions).toContain(stage.attributes[ATTR_SQL_INTERACTION_ID]);
      }
    }
  });

  it('records each model call over the latency the stand-in reported, in simulated time', () => {
    const calls = [...run.traces.values()].flatMap((spans) => stageSpans(spans, 'model_interaction'));
    for (const call of calls) {
      const duration = millis(call.endTime) - millis(call.startTime);
      expect(duration).toBeCloseTo(Number(call.attributes[ATTR_MODEL_LATENCY_MS]), 3);
    }
    // The questions were asked a minute apart from 2 November 2026, not now.
    const roots = [...run.traces.values()].map((spans) => stageSpans(spans, 'query')[0]!);
    expect(Math.min(...roots.map((r) => millis(r.startTime)))).toBeGreaterThanOrEqual(
      Date.UTC(2026, 10, 2, 9),
    );
    expect(Math.max(...roots.map((r) => millis(r.startTime)))).toBeLessThan(Date.UTC(2026, 10, 2, 14));
  });

  it('answers the same way for the same seed', async () => {
    const again = await recordRun(deps, 7, 40);
    const outline = (answers: readonly DemoAnswer[]) =>
      answers.map((a) => [a.status, a.source, a.sql, a.fallbacks]);
    expect(outline(again.answers)).toEqual(outline(run.answers.slice(0, 40)));
  });
});
