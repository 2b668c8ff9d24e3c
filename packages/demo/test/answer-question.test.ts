import type { Stage, StageFields } from '@aitdr/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageProblems } from './support/stage-fields.js';
import {
  ApiModelStandIn,
  DEFAULT_SEED,
  DEMO_QUESTIONS,
  LocalModelStandIn,
  answerQuestion,
  createRng,
  loadSqlParser,
  readDatabaseSchema,
} from '@aitdr/demo';
import type { AnswerTrace, PipelineDependencies } from '@aitdr/demo';
import { createTemporarySampleDatabase } from './support/sample-database.js';

const QUERIES = 400;

function expectValid<S extends Stage>(stage: S, fields: StageFields<S>): void {
  expect(stageProblems(stage, fields), stage).toEqual([]);
}

describe('answerQuestion', () => {
  const sample = createTemporarySampleDatabase();
  let deps: PipelineDependencies;
  const traces: AnswerTrace[] = [];
  const run = (i: number, seed: string | number = DEFAULT_SEED) =>
    answerQuestion(DEMO_QUESTIONS[i % DEMO_QUESTIONS.length]!.text, deps, createRng(seed).fork(i));

  beforeAll(async () => {
    deps = {
      db: sample.db,
      schema: readDatabaseSchema(sample.db),
      parser: await loadSqlParser(),
      apiModel: new ApiModelStandIn(),
      localModel: new LocalModelStandIn(),
    };
    for (let i = 0; i < QUERIES; i++) traces.push(await run(i));
  });
  afterAll(() => sample.remove());

  const rate = (predicate: (trace: AnswerTrace) => boolean) => traces.filter(predicate).length / QUERIES;
  const attempts = () => traces.flatMap((t) => t.attempts);

  it('returns every stage as fields the conventions accept', () => {
    for (const trace of traces) {
      expectValid('query', trace.query);
      expectValid('classification', trace.classification.fields);
      expectValid('schema_context', trace.schemaContext.fields);
      expectValid('model_interaction', trace.modelCalls.api.fields);
      expectValid('model_interaction', trace.modelCalls.local.fields);
      if (trace.selection) expectValid('response_selection', trace.selection.fields);
      for (const attempt of trace.attempts) {
        if (attempt.fallback) expectValid('fallback', attempt.fallback.fields);
        if (attempt.processing) expectValid('sql_processing', attempt.processing.fields);
        if (attempt.execution) expectValid('execution', attempt.execution.fields);
      }
    }
  });

  it('chains the stages: the selected SQL is processed, executed, and fallbacks follow failures', () => {
    for (const trace of traces) {
      const [first, ...rest] = trace.attempts;
      expect(first).toBeDefined();
      if (trace.selection) {
        expect(first!.source).toBe(trace.selection.fields.selectedSource);
        const selectedCall = trace.modelCalls[first!.source];
        expect(first!.processing!.fields.originalSql).toBe(selectedCall.response!.sql);
        expect(first!.fallback !== undefined).toBe(trace.selection.fields.strategy === 'fallback');
      }
      let previous = first!;
      for (const attempt of rest) {
        expect(attempt.fallback!.fields).toMatchObject({
          fromSource: previous.source,
          toSource: attempt.source,
        });
        expect(previous.execution?.fields.success).not.toBe(true);
        previous = attempt;
      }
      const last = trace.attempts.at(-1)!;
      expect(trace.outcome.status === 'answered').toBe(last.execution?.fields.success === true);
      if (trace.outcome.status === 'answered') {
        expect(trace.outcome.rows).toHaveLength(last.execution!.fields.returnedRows!);
        expect(trace.outcome.sql).toBe(last.processing!.fields.processedSql);
      } else {
        expect(trace.outcome.failure).toBeDefined();
      }
    }
  });

  it('produces every kind of outcome at plausible rates with the default seed', () => {
    const agreement = rate((t) => t.selection?.fields.sqlAgreement === true);
    const disagreement = rate((t) => t.selection?.fields.strategy === 'api_preferred');
    expect(agreement).toBeGreaterThan(0.35);
    expect(agreement).toBeLessThan(0.65);
    expect(disagreement).toBeGreaterThan(0.25);
    expect(disagreement).toBeLessThan(0.55);

    const modelErrors = (type: string) =>
      rate((t) => [t.modelCalls.api, t.modelCalls.local].some((call) => call.error?.errorType === type));
    expect(modelErrors('timeout')).toBeGreaterThan(0.02);
    expect(modelErrors('timeout')).toBeLessThan(0.12);
    expect(modelErrors('rate_limited') + modelErrors('server_error')).toBeGreaterThan(0.03);
    expect(modelErrors('rate_limited') + modelErrors('server_error')).toBeLessThan(0.2);

    const processed = attempts().flatMap((a) => (a.processing ? [a.processing.fields] : []));
    expect(processed.filter((p) => !p.isValid && !p.blockedByPolicy).length).toBeGreaterThan(3);
    expect(processed.filter((p) => p.blockedByPolicy).length).toBeGreaterThan(2);
    const executionErrors = attempts().filter((a) => a.execution?.fields.success === false);
    expect(executionErrors.length).toBeGreaterThan(3);
    expect(executionErrors.every((a) => a.execution!.fields.errorCode === 'SQLITE_ERROR')).toBe(true);

    const fallbacks = attempts().flatMap((a) => (a.fallback ? [a.fallback.fields] : []));
    expect(fallbacks.length / QUERIES).toBeGreaterThan(0.04);
    expect(fallbacks.length / QUERIES).toBeLessThan(0.2);
    for (const reason of ['timeout', 'invalid_sql', 'execution_error']) {
      expect(
        fallbacks.some((f) => f.reason === reason),
        reason,
      ).toBe(true);
    }
    expect(fallbacks.some((f) => f.reason === 'rate_limited' || f.reason === 'model_error')).toBe(true);
    expect(fallbacks.some((f) => f.succeeded === true)).toBe(true);
    expect(fallbacks.some((f) => f.succeeded === false)).toBe(true);

    const answered = rate((t) => t.outcome.status === 'answered');
    expect(answered).toBeGreaterThan(0.9);
    expect(answered).toBeLessThan(1);
  });

  it('reproduces a run from its seed, and varies with another seed', async () => {
    const withoutTimings = (trace: AnswerTrace) =>
      JSON.stringify(trace, (key, value: unknown) => (key === 'durationMs' ? undefined : value));
    for (let i = 0; i < 40; i++) expect(withoutTimings(await run(i))).toBe(withoutTimings(traces[i]!));
    const other = await Promise.all(Array.from({ length: 40 }, (_, i) => run(i, 'another seed')));
    expect(other.map(withoutTimings)).not.toEqual(traces.slice(0, 40).map(withoutTimings));
  });

  it('reports the simulated model latency as the model stages’ duration', () => {
    for (const trace of traces.slice(0, 50)) {
      for (const call of [trace.modelCalls.api, trace.modelCalls.local]) {
        expect(call.durationMs).toBe(call.response?.latencyMs ?? call.error!.latencyMs);
      }
    }
  });
});
