import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageProblems } from '../support/stage-fields.js';
import {
  API_MODEL_STAND_IN_PROFILE,
  ApiModelStandIn,
  DEMO_QUESTIONS,
  LOCAL_MODEL_STAND_IN_PROFILE,
  LocalModelStandIn,
  ModelCallError,
  ModelProviderError,
  ModelTimeoutError,
  STAND_IN_BEHAVIOURS,
  buildSchemaContext,
  closestQuestion,
  createRng,
  estimateTokens,
  executeQuery,
  extractSql,
  loadSqlParser,
  normalizeSql,
  processSql,
  readDatabaseSchema,
  referenceRows,
  sameResult,
} from '@aitdr/demo';
import type { DemoQuestion, ModelStandIn, SqlParser, StandInBehaviour, StandInResponse } from '@aitdr/demo';
import { createTemporarySampleDatabase } from '../support/sample-database.js';

const CALLS = 800;

interface Call {
  question: DemoQuestion;
  behaviour: StandInBehaviour;
  response?: StandInResponse;
  error?: ModelCallError;
}

describe('model stand-ins', () => {
  const sample = createTemporarySampleDatabase();
  const schema = readDatabaseSchema(sample.db);
  let parser: SqlParser;
  const calls = new Map<string, Call[]>();

  async function callMany(model: ModelStandIn): Promise<Call[]> {
    const results: Call[] = [];
    for (let i = 0; i < CALLS; i++) {
      const question = DEMO_QUESTIONS[i % DEMO_QUESTIONS.length]!;
      const { fields } = buildSchemaContext(question.text, schema);
      const request = {
        question: question.text,
        schemaContext: fields.contextText,
        schemaTables: fields.tables,
      };
      try {
        const response = await model.generate(request, createRng(42).fork(i));
        results.push({ question, behaviour: response.behaviour, response });
      } catch (error) {
        if (!(error instanceof ModelCallError)) throw error;
        results.push({
          question,
          behaviour: error.errorType === 'timeout' ? 'timeout' : 'provider_error',
          error,
        });
      }
    }
    return results;
  }

  beforeAll(async () => {
    parser = await loadSqlParser();
    calls.set('api', await callMany(new ApiModelStandIn()));
    calls.set('local', await callMany(new LocalModelStandIn()));
  });
  afterAll(() => sample.remove());

  const share = (source: string, behaviours: readonly StandInBehaviour[]) =>
    calls.get(source)!.filter((c) => behaviours.includes(c.behaviour)).length / CALLS;

  describe.each(['api', 'local'])('%s stand-in', (source) => {
    const of = (behaviour: StandInBehaviour) => calls.get(source)!.filter((c) => c.behaviour === behaviour);

    it('produces every kind of outcome', () => {
      for (const behaviour of STAND_IN_BEHAVIOURS) expect(of(behaviour).length, behaviour).toBeGreaterThan(0);
    });

    it('answers with the reference SQL, or an equivalent that normalises to it and returns the same rows', () => {
      for (const call of of('reference')) expect(call.response!.sql).toBe(call.question.referenceSql);
      for (const call of of('variant')) {
        const sql = call.response!.sql;
        expect(sql).not.toBe(call.question.referenceSql);
        expect(normalizeSql(sql, parser), sql).toBe(normalizeSql(call.question.referenceSql, parser));
        const rows = executeQuery(sample.db, processSql(sql, parser).processedSql!).rows;
        expect(sameResult(referenceRows(sample.db, parser, call.question), rows!), sql).toBe(true);
      }
    });

    it('makes subtle mistakes that are valid SQL and mostly give a different answer', () => {
      const mistakes = of('subtle_error');
      let different = 0;
      for (const call of mistakes) {
        const processed = processSql(call.response!.sql, parser);
        expect(processed.fields.isValid, call.response!.sql).toBe(true);
        const result = executeQuery(sample.db, processed.processedSql!);
        expect(result.fields.success, call.response!.sql).toBe(true);
        if (!sameResult(referenceRows(sample.db, parser, call.question), result.rows!)) different++;
      }
      expect(different / mistakes.length).toBeGreaterThan(0.7);
    });

    it('invents columns that pass the parser and fail in SQLite', () => {
      for (const call of of('unknown_column')) {
        const processed = processSql(call.response!.sql, parser);
        expect(processed.fields.isValid).toBe(true);
        const result = executeQuery(sample.db, processed.processedSql!);
        expect(result.fields.errorCode).toBe('SQLITE_ERROR');
        expect(result.errorMessage).toMatch(/^no such column: /);
      }
    });

    it('writes syntax errors the validator rejects, and statements it refuses by policy', () => {
      for (const call of of('syntax_error')) {
        expect(processSql(call.response!.sql, parser).fields).toMatchObject({
          isValid: false,
          blockedByPolicy: false,
        });
      }
      for (const call of of('non_read_only')) {
        expect(processSql(call.response!.sql, parser).fields).toMatchObject({
          isValid: false,
          blockedByPolicy: true,
        });
      }
    });

    it('fails with typed errors carrying the interaction fields', () => {
      const profile = source === 'api' ? API_MODEL_STAND_IN_PROFILE : LOCAL_MODEL_STAND_IN_PROFILE;
      for (const { error } of of('timeout')) {
        expect(error).toBeInstanceOf(ModelTimeoutError);
        expect(error!.latencyMs).toBe(profile.timeoutMs);
        expect(error!.fields).toMatchObject({ errorType: 'timeout', source, provider: profile.provider });
      }
      const statuses = new Set<number>();
      for (const { error } of of('provider_error')) {
        expect(error).toBeInstanceOf(ModelProviderError);
        const status = (error as ModelProviderError).statusCode;
        statuses.add(status);
        expect(error!.errorType).toBe(status === 429 ? 'rate_limited' : 'server_error');
        expect(error!.message).toContain(`${profile.provider} returned ${status}`);
      }
      expect([...statuses].sort()).toEqual([429, 503]);
      for (const { error } of [...of('timeout'), ...of('provider_error')]) {
        expect(stageProblems('model_interaction', error!.fields)).toEqual([]);
      }
    });

    it('reports plausible latency, token counts and GenAI messages, named as a stand-in', () => {
      const profile = source === 'api' ? API_MODEL_STAND_IN_PROFILE : LOCAL_MODEL_STAND_IN_PROFILE;
      for (const { response, question } of calls.get(source)!.filter((c) => c.response)) {
        const { fields } = response!;
        expect(response!.latencyMs).toBeGreaterThanOrEqual(profile.latency.minMs);
        expect(response!.latencyMs).toBeLessThanOrEqual(profile.latency.maxMs);
        expect(fields).toMatchObject({
          source,
          operationName: 'chat',
          provider: `stand-in-${source}`,
          requestModel: `${source}-model-stand-in`,
          finishReasons: ['stop'],
          generatedSql: response!.sql,
          latencyMs: response!.latencyMs,
        });
        expect(fields.responseModel).toContain('stand-in');
        const input = JSON.parse(fields.inputMessages!) as { role: string; parts: { content: string }[] }[];
        expect(input.map((m) => m.role)).toEqual(['system', 'user']);
        expect(input[1]!.parts[0]!.content).toBe(question.text);
        expect(fields.inputTokens).toBeGreaterThan(estimateTokens(input[0]!.parts[0]!.content));
        const output = JSON.parse(fields.outputMessages!) as {
          parts: { content: string }[];
          finish_reason: string;
        }[];
        const content = output[0]!.parts[0]!.content;
        expect(extractSql(content)).toBe(response!.sql);
        expect(fields.outputTokens).toBe(estimateTokens(content));
        expect(stageProblems('model_interaction', fields)).toEqual([]);
      }
    });
  });

  it('makes the local model worse and faster than the API model', () => {
    const correct = ['reference', 'variant'] as const;
    expect(share('api', correct)).toBeGreaterThan(0.7);
    expect(share('api', correct)).toBeLessThan(0.92);
    expect(share('local', correct)).toBeGreaterThan(0.45);
    expect(share('local', correct)).toBeLessThan(share('api', correct) - 0.1);
    const invalid = ['unknown_column', 'syntax_error', 'non_read_only'] as const;
    expect(share('local', invalid)).toBeGreaterThan(share('api', invalid) * 2);
    for (const source of ['api', 'local']) {
      const failures = share(source, ['timeout', 'provider_error']);
      expect(failures, source).toBeGreaterThan(0.03);
      expect(failures, source).toBeLessThan(0.15);
    }
    const meanLatency = (source: string) => {
      const latencies = calls.get(source)!.flatMap((c) => (c.response ? [c.response.latencyMs] : []));
      return latencies.reduce((a, b) => a + b, 0) / latencies.length;
    };
    expect(meanLatency('local') * 2).toBeLessThan(meanLatency('api'));
  });

  it('answers the same way for the same seed', async () => {
    const model = new LocalModelStandIn();
    const request = {
      question: DEMO_QUESTIONS[3]!.text,
      schemaContext: 'CREATE TABLE x (a INTEGER);',
      schemaTables: ['x'],
    };
    const settle = (seed: string) =>
      model.generate(request, createRng(seed)).then(
        (response) => response.fields,
        (error: ModelCallError) => error.fields,
      );
    expect(await settle('s1')).toEqual(await settle('s1'));
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => settle(`s${i}`)));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBeGreaterThan(1);
  });

  it('answers an unknown question from the closest demo question', () => {
    expect(closestQuestion('downtime minutes per line').id).toBe('downtime-by-line');
    expect(closestQuestion('scrap rate for each shift').id).toBe('scrap-rate-per-shift');
  });
});
