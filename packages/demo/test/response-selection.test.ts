import { beforeAll, describe, expect, it } from 'vitest';
import { stageProblems } from './support/stage-fields.js';
import { ModelProviderError, ModelTimeoutError, loadSqlParser, selectResponse } from '@aitdr/demo';
import type { Candidate, SqlParser } from '@aitdr/demo';

const SQL =
  'SELECT l.name, SUM(d.minutes) FROM downtime_events d JOIN production_lines l ON l.line_id = d.line_id GROUP BY l.name';
const SAME_SQL = SQL.toLowerCase().replaceAll('d.', 'ev.').replace('downtime_events d', 'downtime_events ev');
const OTHER_SQL = SQL.replace('SUM(', 'AVG(');

const fields = {
  source: 'api',
  operationName: 'chat',
  provider: 'stand-in-api',
  requestModel: 'api-model',
} as const;
const api = (sql?: string): Candidate => ({
  source: 'api',
  model: 'api-model',
  ...(sql === undefined ? { error: new ModelTimeoutError(fields, 10_000) } : { sql }),
});
const local = (sql?: string): Candidate => ({
  source: 'local',
  model: 'local-model',
  ...(sql === undefined
    ? { error: new ModelProviderError({ ...fields, source: 'local' }, 429, 'slow down', 50) }
    : { sql }),
});

describe('selectResponse', () => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });

  it('reports agreement when the normalised SQL matches, and takes the API answer', () => {
    const selection = selectResponse([api(SQL), local(SAME_SQL)], parser)!;
    expect(selection.selected.source).toBe('api');
    expect(selection.alternative?.source).toBe('local');
    expect(selection.fields).toMatchObject({
      selectedSource: 'api',
      strategy: 'agreement',
      sqlAgreement: true,
    });
    expect(JSON.parse(selection.fields.candidateScores!)).toEqual({ api: 1, local: 0.85 });
    expect(stageProblems('response_selection', selection.fields)).toEqual([]);
  });

  it('prefers the API model when the models disagree, or the local model when configured', () => {
    expect(selectResponse([api(SQL), local(OTHER_SQL)], parser)!.fields).toMatchObject({
      selectedSource: 'api',
      strategy: 'api_preferred',
      sqlAgreement: false,
      reason: 'the models disagree; the api model is preferred',
    });
    expect(
      selectResponse([api(SQL), local(OTHER_SQL)], parser, { preferredSource: 'local' })!.fields,
    ).toMatchObject({
      selectedSource: 'local',
      strategy: 'local_preferred',
    });
  });

  it('picks the higher score under highest_score: SQL the parser rejects scores low', () => {
    const selection = selectResponse([api('SELEC broken'), local(SQL)], parser, {
      strategy: 'highest_score',
    })!;
    expect(selection.fields).toMatchObject({ selectedSource: 'local', strategy: 'highest_score' });
    expect(JSON.parse(selection.fields.candidateScores!)).toEqual({ api: 0.27, local: 0.75 });
  });

  it('falls back to the other model when the preferred one failed', () => {
    const selection = selectResponse([api(), local(SQL)], parser)!;
    expect(selection.selected.source).toBe('local');
    expect(selection.alternative).toBeUndefined();
    expect(selection.fields).toMatchObject({
      selectedSource: 'local',
      strategy: 'fallback',
      reason: 'api model failed (timeout); fell back to the local model',
    });
    expect(JSON.parse(selection.fields.candidateScores!)).toEqual({ api: 0, local: 0.75 });
  });

  it('takes the only candidate when the other model failed', () => {
    expect(selectResponse([api(SQL), local()], parser)!.fields).toMatchObject({
      selectedSource: 'api',
      strategy: 'only_candidate',
      reason: 'local model failed (rate_limited); the api model is the only candidate',
    });
  });

  it('selects nothing when both failed', () => {
    expect(selectResponse([api(), local()], parser)).toBeUndefined();
  });
});
