/**
 * The main job on the embedded store, as a user runs it: the demo (through the collector over
 * OTLP/HTTP, the default) on a fresh SQLite file, the export, the stats, and the HTML report
 * opened in headless Chromium.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporaryDirectory } from '../support/temp-dir.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  drawnCharts,
  expectExportRuns,
  expectStoreAsSent,
  requireChromium,
  runCli,
} from './support/main-job.js';
import type { CliRun } from './support/main-job.js';

describe('the main job on a SQLite file', () => {
  const dir = createTemporaryDirectory('aitdr-e2e-sqlite-');
  const storeFile = join(dir.path, 'training.db');
  const store = `sqlite:${storeFile}`;
  const sampleDatabase = join(dir.path, 'sample-manufacturing.db');
  const html = join(dir.path, 'stats.html');
  let demo: CliRun;

  beforeAll(async () => {
    demo = await runCli('demo', [
      '--queries',
      '80',
      '--store',
      store,
      '--sample-db',
      sampleDatabase,
      '--state-dir',
      join(dir.path, 'state'),
    ]);
  });

  afterAll(() => dir.remove());

  it('records through the collector, and the store holds what the demo says it sent', async () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(
      /^Recorded 80 questions in [\d.]+ s, sent to the collector at http:\/\/127\.0\.0\.1:\d+\./,
    );
    expect(demo.stdout).toContain(`Training data:   ${storeFile} (${store})`);
    const db = new Database(storeFile, { readonly: true });
    try {
      await expectStoreAsSent(
        (sql) => Promise.resolve((db.prepare(sql).get() as { N: number }).N),
        demo.stdout,
      );
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('exports JSON Lines whose SQL runs on the sample database', async () => {
    const out = join(dir.path, 'export');
    const run = await runCli('export', ['--', '--store', store, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const examples = expectExportRuns(out, sampleDatabase);
    expect(examples).toBeGreaterThan(10);
    expect(run.stdout).toMatch(
      new RegExp(
        `^Exported ${examples} examples in \\d+ intents \\(chat format\\) and \\d+ preference pairs from ${store}: 80 of 80 queries`,
      ),
    );
  });

  it('reports stats, and the HTML report draws its charts in Chromium with no network', async () => {
    const run = await runCli('stats', ['--store', store, '--html', html]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/│ Queries\s+│ 80\s+│/);

    requireChromium();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(html).href);
      await page.waitForSelector('body[data-charts]');
      const charts = await drawnCharts(page);
      expect(errors).toEqual([]);
      expect(charts.map((c) => c.id)).toEqual([
        'chart-queries-over-time',
        'chart-selection',
        'chart-success',
        'chart-latency',
        'chart-tokens',
        'chart-fallbacks',
        'chart-validation',
        'chart-feedback',
        'chart-agreement',
        'chart-training',
        'chart-readiness',
        'chart-quality-over-time',
      ]);
      for (const chart of charts) {
        expect(chart.hasChart, chart.id).toBe(true);
        // Axes, grid and legend alone cover under 10% of a canvas; with the data drawn, over 15%.
        expect(chart.drawn / chart.size, `${chart.id} has its data drawn`).toBeGreaterThan(0.15);
      }
      expect(requests).toEqual([pathToFileURL(html).href]);
      // Every rate shows n and its 95% interval; the readiness and training sections are there.
      const rateCells = await page.locator('#success td, #readiness td').allTextContents();
      expect(
        rateCells.filter((text) => /^\d+\/\d+ \d+\.\d% \(\d+\.\d–\d+\.\d\)$/.test(text)).length,
      ).toBeGreaterThan(6);
      expect(await page.locator('#training .note').textContent()).toMatch(
        /^By the export's default rules: 80 queries give \d+ examples in \d+ intents/,
      );
      // No table scrolls inside the page.
      const scrolling = await page.evaluate(() => {
        interface Box {
          readonly scrollHeight: number;
          readonly clientHeight: number;
        }
        const { document } = globalThis as unknown as {
          document: { querySelectorAll(selector: string): ArrayLike<Box> };
        };
        return Array.from(document.querySelectorAll('.table')).filter(
          (box) => box.scrollHeight > box.clientHeight + 1,
        ).length;
      });
      expect(scrolling).toBe(0);
      const screenshot = join(dir.path, 'stats.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(50_000);
    } finally {
      await browser.close();
    }
  });
});
