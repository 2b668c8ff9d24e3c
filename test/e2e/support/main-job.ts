/**
 * The main job as a user runs it: the three commands as child processes, started the way the
 * root package.json scripts start them, and checks of what they leave behind.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { TABLES } from '@aitdr/schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `packages/cli/src/bin/<command>.ts` as `pnpm run <command>` does, from the repository root. */
export function runCli(command: 'demo' | 'export' | 'stats', args: readonly string[]): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [
        '--conditions=aitdr-source',
        '--import',
        'tsx',
        join('packages/cli/src/bin', `${command}.ts`),
        ...args,
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The demo summary's rows: table → rows sent, added by the run, stored. */
export function summaryRows(stdout: string): Map<string, { sent: number; added: number; stored: number }> {
  const rows = new Map<string, { sent: number; added: number; stored: number }>();
  for (const match of stdout.matchAll(/│ (AI_\w+)\s+│\s+(\d+) │\s+(\d+) │\s+(\d+) │/g)) {
    rows.set(match[1]!, { sent: Number(match[2]), added: Number(match[3]), stored: Number(match[4]) });
  }
  return rows;
}

/** A store, asked one number at a time. */
export type CountQuery = (sql: string) => Promise<number>;

/**
 * What must hold in a store the demo wrote: every table has rows, as many as the demo says it
 * sent; every stage row's query exists (the foreign keys) and every interaction a row points to
 * exists in the same query (references the database does not enforce); every query is complete.
 */
export async function expectStoreAsSent(count: CountQuery, stdout: string): Promise<void> {
  const rows = summaryRows(stdout);
  expect([...rows.keys()]).toEqual(TABLES.map((t) => t.name));
  for (const table of TABLES) {
    const summary = rows.get(table.name)!;
    expect(summary.sent, table.name).toBeGreaterThan(0);
    expect(summary.added, table.name).toBe(summary.sent);
    expect(await count(`SELECT COUNT(*) AS N FROM ${table.name}`), table.name).toBe(summary.sent);
  }
  for (const table of TABLES.slice(1)) {
    expect(
      await count(
        `SELECT COUNT(*) AS N FROM ${table.name} x LEFT JOIN AI_TRAINING_QUERIES q ON q.QUERY_ID = x.QUERY_ID WHERE q.QUERY_ID IS NULL`,
      ),
      `${table.name} rows without their query`,
    ).toBe(0);
  }
  const dangling = (table: string, column: string) =>
    count(
      `SELECT COUNT(*) AS N FROM ${table} x LEFT JOIN AI_MODEL_INTERACTIONS m
       ON m.QUERY_ID = x.QUERY_ID AND m.INTERACTION_ID = x.${column}
       WHERE x.${column} IS NOT NULL AND m.INTERACTION_ID IS NULL`,
    );
  expect(await dangling('AI_RESPONSE_SELECTIONS', 'SELECTED_INTERACTION_ID')).toBe(0);
  expect(await dangling('AI_SQL_PROCESSING', 'INTERACTION_ID')).toBe(0);
  expect(await dangling('AI_EXECUTION_RESULTS', 'INTERACTION_ID')).toBe(0);
  expect(await count("SELECT COUNT(*) AS N FROM AI_TRAINING_QUERIES WHERE TRACE_STATUS <> 'COMPLETE'")).toBe(
    0,
  );
}

interface ChatExample {
  messages: { role: string; content: string }[];
}

/**
 * The export's files: valid JSON Lines in the chat format, as many as the manifest says, each
 * example's SQL running on the sample database. Returns the number of examples.
 */
export function expectExportRuns(directory: string, sampleDatabase: string): number {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as {
    counts: { examples: number; train: number; validation: number };
  };
  const sample = new Database(sampleDatabase, { readonly: true, fileMustExist: true });
  try {
    let examples = 0;
    for (const [file, expected] of [
      ['train.jsonl', manifest.counts.train],
      ['validation.jsonl', manifest.counts.validation],
    ] as const) {
      const lines = readFileSync(join(directory, file), 'utf8').split('\n');
      expect(lines.pop(), `${file} ends with a new line`).toBe('');
      expect(lines, file).toHaveLength(expected);
      for (const line of lines) {
        const example = JSON.parse(line) as ChatExample;
        expect(example.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
        expect(example.messages[0]!.content).toContain('Schema:');
        expect(example.messages[1]!.content.length).toBeGreaterThan(5);
        const sql = example.messages[2]!.content;
        expect(() => sample.prepare(sql).all(), sql).not.toThrow();
        examples += 1;
      }
    }
    expect(examples).toBe(manifest.counts.examples);
    return examples;
  } finally {
    sample.close();
  }
}

/** Debian's Chromium, as `.ci/run` installs it. */
export const CHROMIUM = '/usr/bin/chromium';

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does`,
    );
  }
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The little of the browser the chart check uses (the tests compile without the DOM library). */
interface BrowserCanvas {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}
interface BrowserGlobals {
  readonly document: { querySelectorAll(selector: 'canvas'): ArrayLike<BrowserCanvas> };
  readonly Chart: { getChart(canvas: BrowserCanvas): unknown };
}

/** Each canvas of the page: whether Chart.js holds a chart on it, and how many of its pixels are drawn. */
export function drawnCharts(
  page: Page,
): Promise<{ id: string; hasChart: boolean; drawn: number; size: number }[]> {
  return page.evaluate(() => {
    const { document, Chart } = globalThis as unknown as BrowserGlobals;
    return Array.from(document.querySelectorAll('canvas')).map((canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let drawn = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn += 1;
      return {
        id: canvas.id,
        hasChart: Chart.getChart(canvas) !== undefined,
        drawn,
        size: canvas.width * canvas.height,
      };
    });
  });
}
