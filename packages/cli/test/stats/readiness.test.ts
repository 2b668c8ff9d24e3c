/**
 * Readiness figures against a store small enough to compute by hand: five queries, two models
 * (the local one in two versions), a sample database of three rows.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaInstallScript } from '@aitdr/schema';
import { openTableReader } from '@aitdr/exporter';
import { collectStats, runStatsCommand } from '@aitdr/cli';
import type { StatsReport } from '@aitdr/cli';
import { isoWeek, isoWeekByDay } from '../../src/stats/readiness.js';
import { formatRate, wilsonInterval } from '../../src/stats/rates.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { insertRow } from '../support/store-rows.js';
import { runCommand } from '../support/run-command.js';

interface Answer {
  sql: string;
  model: string;
  /** Undefined: never executed. */
  ran?: boolean;
}

const queryId = (n: number) => n.toString(16).padStart(32, '0');
const interactionId = (n: number, source: string) =>
  `${source === 'api' ? 'a' : 'b'}${n.toString(16).padStart(15, '0')}`;
const at = (day: string, minute: number) => `${day}T09:${String(minute).padStart(2, '0')}:00.000000Z`;

function recordQuery(
  db: Database.Database,
  n: number,
  query: {
    day: string;
    category: string;
    api: Answer;
    local: Answer;
    feedback?: { rating: number; correctedSql?: string };
  },
): void {
  const id = queryId(n);
  insertRow(db, 'AI_TRAINING_QUERIES', {
    QUERY_ID: id,
    QUERY_TEXT: `question ${n}`,
    START_TIME: at(query.day, 0),
  });
  insertRow(db, 'AI_QUERY_CLASSIFICATIONS', {
    QUERY_ID: id,
    CATEGORY: query.category,
    START_TIME: at(query.day, 1),
  });
  let minute = 2;
  for (const source of ['api', 'local'] as const) {
    const answer = query[source];
    insertRow(db, 'AI_MODEL_INTERACTIONS', {
      QUERY_ID: id,
      INTERACTION_ID: interactionId(n, source),
      MODEL_SOURCE: source,
      REQUEST_MODEL: `${source}-model`,
      RESPONSE_MODEL: answer.model,
      GENERATED_SQL: answer.sql,
      START_TIME: at(query.day, minute++),
    });
  }
  // Executions in order: the last one is the answer.
  for (const source of ['api', 'local'] as const) {
    const answer = query[source];
    if (answer.ran === undefined) continue;
    insertRow(db, 'AI_EXECUTION_RESULTS', {
      QUERY_ID: id,
      INTERACTION_ID: interactionId(n, source),
      SUCCESS: answer.ran,
      START_TIME: at(query.day, minute++),
    });
  }
  if (query.feedback !== undefined) {
    insertRow(db, 'AI_USER_FEEDBACK', {
      QUERY_ID: id,
      RATING: query.feedback.rating,
      IS_CORRECT: query.feedback.correctedSql === undefined && query.feedback.rating > 2,
      CORRECTED_SQL: query.feedback.correctedSql ?? null,
      FEEDBACK_TIME: at(query.day, 30),
      START_TIME: at(query.day, 30),
    });
  }
}

describe('readiness', () => {
  const dir = createTemporaryDirectory('aitdr-readiness-');
  const store = join(dir.path, 'store.db');
  const sample = join(dir.path, 'sample.db');
  let withResults: StatsReport;
  let textOnly: StatsReport;

  beforeAll(async () => {
    const data = new Database(sample);
    data.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3);');
    data.close();
    const db = new Database(store);
    db.exec(schemaInstallScript('sqlite'));
    // Week 2026-W48. Gold: the API's answer (it ran, no feedback): the local model is scored.
    recordQuery(db, 1, {
      day: '2026-11-24',
      category: 'downtime',
      api: { sql: 'SELECT a FROM t', model: 'api-v1', ran: true },
      local: { sql: 'select  a from T', model: 'local-v1' }, // same text once normalised
    });
    recordQuery(db, 2, {
      day: '2026-11-25',
      category: 'downtime',
      api: { sql: 'SELECT a FROM t WHERE a > 1', model: 'api-v1', ran: true },
      local: { sql: 'SELECT a FROM t WHERE 1 < a', model: 'local-v1' }, // other text, same rows
    });
    // Week 2026-W49. Gold: the user's correction: both models are scored, both wrong.
    recordQuery(db, 3, {
      day: '2026-12-01',
      category: 'quality',
      api: { sql: 'SELECT a FROM t', model: 'api-v1', ran: true },
      local: { sql: 'SELECT a FROM t WHERE a = 2', model: 'local-v2' },
      feedback: { rating: 1, correctedSql: 'SELECT a FROM t WHERE a = 3' },
    });
    // The API's SQL failed, the local model's ran and was rated 5: the API is scored against it.
    recordQuery(db, 4, {
      day: '2026-12-02',
      category: 'quality',
      api: { sql: 'SELECT COUNT(a) FROM t', model: 'api-v1', ran: false },
      local: { sql: 'SELECT COUNT(*) FROM t', model: 'local-v2', ran: true },
      feedback: { rating: 5 },
    });
    // Rated down, no correction: no gold, nobody scored.
    recordQuery(db, 5, {
      day: '2026-12-02',
      category: 'quality',
      api: { sql: 'SELECT 1', model: 'api-v1', ran: true },
      local: { sql: 'SELECT 2', model: 'local-v2' },
      feedback: { rating: 1 },
    });
    db.close();
    const reader = await openTableReader(`sqlite:${store}`);
    try {
      withResults = await collectStats(reader, { database: sample });
      textOnly = await collectStats(reader);
    } finally {
      await reader.close();
    }
  });

  afterAll(() => dir.remove());

  it('scores each model per category against gold that is not its own answer', () => {
    expect(withResults.readiness.byCategory).toEqual([
      // Query 3 (correction: text no, rows no) and 4 (local gold: text no, rows yes: 3 = 3).
      {
        source: 'api',
        category: 'quality',
        textMatch: { successes: 0, n: 2 },
        resultMatch: { successes: 1, n: 2 },
      },
      // Queries 1 (text yes) and 2 (text no, rows yes).
      {
        source: 'local',
        category: 'downtime',
        textMatch: { successes: 1, n: 2 },
        resultMatch: { successes: 2, n: 2 },
      },
      // Query 3 (rows 2 against 3).
      {
        source: 'local',
        category: 'quality',
        textMatch: { successes: 0, n: 1 },
        resultMatch: { successes: 0, n: 1 },
      },
    ]);
    expect(textOnly.readiness.byCategory.map((c) => 'resultMatch' in c)).toEqual([false, false, false]);
    expect(textOnly.readiness.byCategory.map((c) => c.textMatch)).toEqual(
      withResults.readiness.byCategory.map((c) => c.textMatch),
    );
  });

  it('follows each model version week by week', () => {
    expect(
      withResults.readiness.byWeek.map((w) => [
        w.week,
        w.source,
        w.model,
        formatRate(w.textMatch),
        formatRate(w.resultMatch!),
      ]),
    ).toEqual([
      ['2026-W48', 'local', 'local-v1', '1/2 50.0% (9.5–90.5)', '2/2 100.0% (34.2–100.0)'],
      ['2026-W49', 'api', 'api-v1', '0/2 0.0% (0.0–65.8)', '1/2 50.0% (9.5–90.5)'],
      ['2026-W49', 'local', 'local-v2', '0/1 0.0% (0.0–79.3)', '0/1 0.0% (0.0–79.3)'],
    ]);
  });

  it('counts the training examples the export would write', () => {
    // Gold for queries 1 and 2 (API), 3 (correction) and 4 (local); 5 is rated down.
    expect(withResults.training).toMatchObject({
      queries: 5,
      examples: 0, // no schema context recorded: the default rule skips them
      groups: 0,
    });
    expect(withResults.training.skipped).toEqual([
      { reason: 'noSchemaContext', count: 4 },
      { reason: 'negativeFeedback', count: 1 },
    ]);
  });

  it('limits every section to the period asked for', async () => {
    const html = join(dir.path, 'week49.html');
    const { code, stdout, stderr } = await runCommand(runStatsCommand, [
      '--store',
      `sqlite:${store}`,
      '--from',
      '2026-11-30',
      '--to',
      '2026-12-06',
      '--database',
      sample,
      '--html',
      html,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/│ Queries\s+│ 3\s+│/);
    expect(stdout).toContain('2026-11-30T00:00:00.000Z until 2026-12-07T00:00:00.000Z');
    expect(stdout).toMatch(/│ 2026-W49 │ api\s+│ api-v1\s+│\s+0\/2 0\.0% \(0\.0–65\.8\) │/);
    expect(stdout).not.toContain('2026-W48');
  });

  it('counts calls, model usage and readiness of the period from the same interactions', async () => {
    const reader = await openTableReader(`sqlite:${store}`);
    let week49: StatsReport;
    try {
      week49 = await collectStats(reader, {
        period: { from: new Date('2026-11-30T00:00:00Z'), until: new Date('2026-12-07T00:00:00Z') },
      });
    } finally {
      await reader.close();
    }
    expect(week49.sources.map(({ source, calls }) => ({ source, calls }))).toEqual([
      { source: 'api', calls: 3 },
      { source: 'local', calls: 3 },
    ]);
    expect(week49.models.map(({ model, source, calls }) => ({ model, source, calls }))).toEqual([
      { model: 'api-model', source: 'api', calls: 3 },
      { model: 'local-model', source: 'local', calls: 3 },
    ]);
    expect(week49.readiness.byWeek.map(({ week, source, model }) => `${week} ${source} ${model}`)).toEqual([
      '2026-W49 api api-v1',
      '2026-W49 local local-v2',
    ]);
  });
});

describe('the 95% Wilson interval', () => {
  it('matches published values and stays inside [0, 1]', () => {
    const round = (i: { low: number; high: number } | undefined) =>
      i === undefined ? undefined : [Math.round(i.low * 1e4) / 1e4, Math.round(i.high * 1e4) / 1e4];
    expect(round(wilsonInterval(1, 2))).toEqual([0.0945, 0.9055]);
    expect(round(wilsonInterval(0, 10))).toEqual([0, 0.2775]);
    expect(round(wilsonInterval(8, 10))).toEqual([0.4902, 0.9433]);
    expect(round(wilsonInterval(10, 10))).toEqual([0.7225, 1]);
    expect(wilsonInterval(0, 0)).toBeUndefined();
    expect(formatRate({ successes: 0, n: 0 })).toBe('0/0 –');
  });
});

describe('isoWeek', () => {
  it('numbers weeks from Monday, week 1 holding January 4th', () => {
    expect(isoWeek('2026-11-24T09:00:00.000000Z')).toBe('2026-W48');
    expect(isoWeek('2026-11-29T23:59:59Z')).toBe('2026-W48'); // a Sunday
    expect(isoWeek('2026-11-30T00:00:00Z')).toBe('2026-W49'); // the Monday after
    expect(isoWeek('2027-01-01T12:00:00Z')).toBe('2026-W53');
    expect(isoWeek('2024-12-30T12:00:00Z')).toBe('2025-W01');
  });

  it('gives the same weeks when remembered per UTC day, for UTC text and text with an offset', () => {
    const weekOf = isoWeekByDay();
    for (const time of [
      '2026-11-29T23:59:59.000000Z',
      '2026-11-29T00:00:01.000000Z',
      '2026-11-30T00:00:00.000000Z',
      '2026-11-30T01:00:00+02:00', // Sunday the 29th in UTC
      '2026-11-30T23:00:00-02:00', // Tuesday December 1st in UTC
    ]) {
      expect(weekOf(time)).toBe(isoWeek(time));
    }
  });
});
