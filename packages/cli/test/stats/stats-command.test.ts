import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaInstallScript } from '@aitdr/schema';
import { openTableReader } from '@aitdr/exporter';
import { collectStats, percentile, runStatsCommand } from '@aitdr/cli';
import type { StatsReport } from '@aitdr/cli';
import { recordDemoStore } from '../support/demo-store.js';
import type { DemoStore } from '../support/demo-store.js';
import { runCommand } from '../support/run-command.js';

describe('percentile', () => {
  it('interpolates between the nearest ranks', () => {
    expect(percentile([], 0.5)).toBeUndefined();
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(
      percentile(
        Array.from({ length: 101 }, (_, i) => i * 10),
        0.95,
      ),
    ).toBe(950);
  });
});

describe('collectStats', () => {
  let demo: DemoStore;
  let db: Database.Database;
  let report: StatsReport;
  const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;

  beforeAll(async () => {
    demo = await recordDemoStore(150, 11);
    db = new Database(demo.storeFile, { readonly: true });
    const reader = await openTableReader(demo.store);
    try {
      report = await collectStats(reader);
    } finally {
      await reader.close();
    }
  });

  afterAll(() => {
    db?.close();
    demo?.remove();
  });

  it('counts queries, answers, fallbacks and feedback as the tables hold them', () => {
    expect(report.overview).toMatchObject({
      queries: 150,
      answered: n('SELECT COUNT(*) AS n FROM AI_TRAINING_EXAMPLES WHERE EXECUTION_SUCCESS = 1'),
      withFallback: n('SELECT COUNT(DISTINCT QUERY_ID) AS n FROM AI_FALLBACK_EVENTS'),
      feedback: n('SELECT COUNT(*) AS n FROM AI_USER_FEEDBACK'),
    });
    expect(report.overview.answered).toBe(demo.result.answered);
    expect(report.overview.withFallback).toBe(demo.result.withFallback);
    expect(report.queriesPerDay.reduce((sum, d) => sum + d.queries, 0)).toBe(150);
    expect(report.queriesPerDay.length).toBeGreaterThan(5);
    expect(report.queriesPerDay.map((d) => d.day)).toEqual(
      (
        db
          .prepare('SELECT DISTINCT substr(START_TIME, 1, 10) AS d FROM AI_TRAINING_QUERIES ORDER BY d')
          .all() as { d: string }[]
      ).map((r) => r.d),
    );
  });

  it('reads the same report with the aggregates on a reader of their own thread', async () => {
    const reader = await openTableReader(demo.store);
    const aggregates = await openTableReader(demo.store, { ownThread: true });
    try {
      const alongside = await collectStats(reader, { aggregates });
      expect({ ...alongside, generatedAt: report.generatedAt }).toEqual(report);
    } finally {
      await aggregates.close();
      await reader.close();
    }
  });

  it('fails with the error of the aggregates read alongside', async () => {
    const reader = await openTableReader(demo.store);
    const aggregates = await openTableReader(demo.store, { ownThread: true });
    await aggregates.close();
    try {
      await expect(collectStats(reader, { aggregates })).rejects.toThrow('the SQLite reader is closed');
    } finally {
      await reader.close();
    }
  });

  it('shares selections between the sources and follows each source to its SQL running', () => {
    const selected = (source: string) =>
      n(`SELECT COUNT(*) AS n FROM AI_RESPONSE_SELECTIONS WHERE SELECTED_SOURCE = '${source}'`);
    expect(report.selection.bySource).toEqual([
      { source: 'api', count: selected('api') },
      { source: 'local', count: selected('local') },
    ]);
    const api = report.sources.find((s) => s.source === 'api')!;
    expect(api.calls).toBe(n("SELECT COUNT(*) AS n FROM AI_MODEL_INTERACTIONS WHERE MODEL_SOURCE = 'api'"));
    expect(api.failedCalls).toBe(
      n(
        "SELECT COUNT(*) AS n FROM AI_MODEL_INTERACTIONS WHERE MODEL_SOURCE = 'api' AND STATUS_CODE = 'ERROR'",
      ),
    );
    expect(api.executedOk).toBe(
      n(`SELECT COUNT(*) AS n FROM AI_EXECUTION_RESULTS e JOIN AI_MODEL_INTERACTIONS m
         ON m.QUERY_ID = e.QUERY_ID AND m.INTERACTION_ID = e.INTERACTION_ID WHERE m.MODEL_SOURCE = 'api' AND e.SUCCESS = 1`),
    );
    expect(report.sources.reduce((sum, s) => sum + s.answers, 0)).toBe(report.overview.answered);
  });

  it('reports latency percentiles and tokens per model', () => {
    expect(report.models.map((m) => [m.source, m.model])).toEqual([
      ['api', 'api-model-stand-in'],
      ['local', 'local-model-stand-in'],
    ]);
    for (const model of report.models) {
      const latencies = (
        db
          .prepare(
            'SELECT LATENCY_MS AS l FROM AI_MODEL_INTERACTIONS WHERE REQUEST_MODEL = ? ORDER BY LATENCY_MS',
          )
          .all(model.model) as { l: number }[]
      ).map((r) => r.l);
      expect(model.calls).toBe(latencies.length);
      expect(model.p50Ms).toBe(percentile(latencies, 0.5));
      expect(model.p95Ms).toBe(percentile(latencies, 0.95));
      expect(model.inputTokens).toBe(
        (
          db
            .prepare('SELECT SUM(INPUT_TOKENS) AS n FROM AI_MODEL_INTERACTIONS WHERE REQUEST_MODEL = ?')
            .get(model.model) as { n: number }
        ).n,
      );
    }
    // The API stand-in is the slower one.
    expect(report.models[0]!.p50Ms!).toBeGreaterThan(report.models[1]!.p50Ms!);
  });

  it('groups fallbacks, validation failures, feedback and agreement', () => {
    expect(report.fallbacks.reduce((sum, f) => sum + f.count, 0)).toBe(
      n('SELECT COUNT(*) AS n FROM AI_FALLBACK_EVENTS'),
    );
    expect(report.fallbacks.map((f) => f.reason)).toContain('timeout');
    expect(report.validationFailures.reduce((sum, v) => sum + v.count, 0)).toBe(
      n('SELECT COUNT(*) AS n FROM AI_SQL_PROCESSING WHERE IS_VALID = 0'),
    );
    expect(report.validationFailures.map((v) => v.reason)).toContain('syntax error');
    expect(report.feedback.ratings.map((r) => r.rating)).toEqual([1, 2, 3, 4, 5]);
    expect(report.feedback.ratings.reduce((sum, r) => sum + r.count, 0) + report.feedback.unrated).toBe(
      report.overview.feedback,
    );
    expect(report.feedback.withCorrectedSql).toBe(demo.result.correctedSql);
    expect(report.agreement.agreed).toBe(
      n("SELECT COUNT(*) AS n FROM AI_RESPONSE_SELECTIONS WHERE STRATEGY = 'agreement'"),
    );
    expect(report.agreement.compared).toBe(
      n(
        "SELECT COUNT(*) AS n FROM AI_RESPONSE_SELECTIONS WHERE STRATEGY NOT IN ('only_candidate', 'fallback')",
      ),
    );
  });

  it('prints the tables and writes one self-contained HTML file', async () => {
    const html = join(demo.directory, 'report', 'stats.html');
    const { code, stdout, stderr } = await runCommand(runStatsCommand, [
      '--store',
      demo.store,
      '--html',
      html,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const title of [
      'Queries over time',
      'API vs local selection',
      'Success rate per source',
      'Latency per model',
      'Token lengths and cost',
      'Fallback reasons',
      'Validation failure reasons',
      'Feedback distribution',
      'Agreement between API and local SQL',
      'Training examples',
      'Local model readiness',
      'Quality over time',
    ]) {
      expect(stdout).toContain(title);
    }
    expect(stdout).toMatch(/│ api-model-stand-in\s+│ api\s+│\s+\d+ │/);
    expect(stdout).toContain(`HTML report with charts: ${html}`);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Chart.js v4');
    expect(page).not.toMatch(/<script[^>]+src=|<link\b|url\(\s*['"]?https?:/i);
    expect(page).toContain(`default-src 'none'`);
    expect(page.match(/<canvas id="chart-/g)).toHaveLength(12);
    // Every rate shows its n and its 95% interval.
    expect(stdout).toMatch(/│ api\s+│\s+\d+ │ \d+\/\d+ \d+\.\d% \(\d+\.\d–\d+\.\d\) │/);
  });
});

describe('readiness on the demo’s sample database', () => {
  let demo: DemoStore;
  beforeAll(async () => {
    demo = await recordDemoStore(150, 11);
  });
  afterAll(() => demo?.remove());

  it('compares results where the text differs, never fewer matches than by text', async () => {
    const reader = await openTableReader(demo.store);
    let report: StatsReport;
    try {
      report = await collectStats(reader, {
        database: demo.sampleDatabase,
        prices: { 'api-model-stand-in': { input: 0.0025, output: 0.01 } },
      });
    } finally {
      await reader.close();
    }
    const local = report.readiness.byCategory.filter((c) => c.source === 'local');
    expect(local.length).toBeGreaterThan(3);
    for (const cell of report.readiness.byCategory) {
      expect(cell.resultMatch!.n, cell.category).toBe(cell.textMatch.n);
      expect(cell.resultMatch!.successes).toBeGreaterThanOrEqual(cell.textMatch.successes);
    }
    // Equivalent SQL written differently: some results match where the text does not.
    const total = (key: 'textMatch' | 'resultMatch') =>
      report.readiness.byCategory.reduce((sum, c) => sum + c[key]!.successes, 0);
    expect(total('resultMatch')).toBeGreaterThan(total('textMatch'));
    expect(report.readiness.byWeek.reduce((sum, w) => sum + w.textMatch.n, 0)).toBe(
      report.readiness.byCategory.reduce((sum, c) => sum + c.textMatch.n, 0),
    );
    const api = report.models.find((m) => m.source === 'api')!;
    expect(api.cost).toBeCloseTo((api.inputTokens * 0.0025 + api.outputTokens * 0.01) / 1000, 5);
    expect(report.models.find((m) => m.source === 'local')!.cost).toBeUndefined();
  });
});

describe('aitdr-stats on other stores', () => {
  let dir: DemoStore;
  beforeAll(async () => {
    dir = await recordDemoStore(1);
  });
  afterAll(() => dir?.remove());

  it('reports an empty store without failing', async () => {
    const file = join(dir.directory, 'empty-schema.db');
    const db = new Database(file);
    db.exec(schemaInstallScript('sqlite'));
    db.close();
    const { code, stdout } = await runCommand(runStatsCommand, ['--store', `sqlite:${file}`, '--no-html']);
    expect(code).toBe(0);
    expect(stdout).toContain('Fallback reasons\n  (no data)');
    expect(stdout).not.toContain('HTML report');
  });

  it('refuses a store without the tables, and a store it does not know, in one line', async () => {
    const file = join(dir.directory, 'other.db');
    new Database(file).close();
    const missing = await runCommand(runStatsCommand, ['--store', `sqlite:${file}`]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^aitdr-stats: sqlite:.*other\.db has no AI_TRAINING_QUERIES, .*\n$/);
    const unknown = await runCommand(runStatsCommand, ['--store', 'redis://cache']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^aitdr-stats: option '--store <url>' argument 'redis:\/\/cache' is invalid\./,
    );
  });
});
