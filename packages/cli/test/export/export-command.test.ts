import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExportCommand } from '@aitdr/cli';
import { normalizeQuestion } from '../../src/export/export-rules.js';
import { recordDemoStore } from '../support/demo-store.js';
import type { DemoStore } from '../support/demo-store.js';
import { runCommand } from '../support/run-command.js';

interface ChatLine {
  messages: { role: string; content: string }[];
}

const lines = (file: string): unknown[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

const readManifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    datasetId: string;
    files: Record<string, { name: string; sha256: string; rows: number }>;
    counts: {
      groups: { total: number; train: number; validation: number };
      leakage: { sharedGoldSql: number; sharedQuestions: number };
      preference: { pairs: number; train: number; validation: number; byRule: Record<string, number> };
      queries: number;
      matched: number;
      examples: number;
      train: number;
      validation: number;
      skipped: Record<string, number>;
      goldFrom: Record<string, number>;
    };
    rules: Record<string, unknown>;
    filters: Record<string, unknown>;
  };

describe('aitdr-export', () => {
  let demo: DemoStore;
  let training: Database.Database;
  const scalar = (sql: string, ...binds: unknown[]) =>
    (training.prepare(sql).get(...binds) as { n: number }).n;
  const exportTo = async (name: string, ...args: string[]) => {
    const out = join(demo.directory, name);
    const result = await runCommand(runExportCommand, ['--store', demo.store, '--out', out, ...args]);
    return { ...result, out };
  };

  beforeAll(async () => {
    demo = await recordDemoStore(120, 3);
    training = new Database(demo.storeFile, { readonly: true });
  });

  afterAll(() => {
    training?.close();
    demo?.remove();
  });

  it('writes OpenAI chat examples, one per question, whose SQL runs on the sample database', async () => {
    const { code, stdout, stderr, out } = await exportTo('chat');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const manifest = readManifest(out);
    expect(stdout).toContain(
      `Exported ${manifest.counts.examples} examples in ${manifest.counts.groups.total} intents (chat format)`,
    );
    expect(manifest.counts.queries).toBe(120);
    expect(manifest.counts.matched).toBe(120);
    const skipped = Object.values(manifest.counts.skipped).reduce((a, b) => a + b, 0);
    expect(manifest.counts.examples + skipped).toBe(120);
    expect(manifest.counts.train + manifest.counts.validation).toBe(manifest.counts.examples);
    expect(manifest.counts.skipped.duplicate).toBeGreaterThan(0);
    expect(manifest.counts.goldFrom.userCorrection).toBeGreaterThan(0);

    const train = lines(join(out, 'train.jsonl')) as ChatLine[];
    const validation = lines(join(out, 'validation.jsonl')) as ChatLine[];
    expect(train).toHaveLength(manifest.counts.train);
    expect(validation).toHaveLength(manifest.counts.validation);
    expect(validation.length).toBeGreaterThan(0);
    const sample = new Database(demo.sampleDatabase, { readonly: true });
    try {
      for (const example of [...train, ...validation]) {
        expect(example.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
        expect(example.messages[0]!.content).toMatch(
          /^Translate the user's question .*\n\nSchema:\n.*CREATE TABLE/s,
        );
        expect(
          () => sample.prepare(example.messages[2]!.content).all(),
          example.messages[2]!.content,
        ).not.toThrow();
      }
    } finally {
      sample.close();
    }
    const questions = [...train, ...validation].map((e) => normalizeQuestion(e.messages[1]!.content));
    expect(new Set(questions).size).toBe(questions.length);
    expect(existsSync(join(out, '.train.jsonl.partial'))).toBe(false);
  });

  it('writes {prompt, completion} lines', async () => {
    const { code, out } = await exportTo('completion', '--format', 'completion');
    expect(code).toBe(0);
    const examples = lines(join(out, 'train.jsonl')) as { prompt: string; completion: string }[];
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      expect(Object.keys(example)).toEqual(['prompt', 'completion']);
      expect(example.prompt).toMatch(/\n\nQuestion: .+\n\nSQL:\n$/s);
      expect(example.completion).toMatch(/^(SELECT|WITH)\b/i);
    }
  });

  it('filters by time, model, rating and category in the store', async () => {
    const { day } = training
      .prepare('SELECT substr(MIN(START_TIME), 1, 10) AS day FROM AI_TRAINING_QUERIES')
      .get() as {
      day: string;
    };
    const firstDayOnly = await exportTo('first-day', '--from', day, '--to', day);
    expect(firstDayOnly.code).toBe(0);
    expect(readManifest(firstDayOnly.out).counts.matched).toBe(
      scalar('SELECT COUNT(*) AS n FROM AI_TRAINING_QUERIES WHERE substr(START_TIME, 1, 10) = ?', day),
    );

    const local = await exportTo('local', '--source', 'local');
    const localManifest = readManifest(local.out);
    expect(localManifest.counts.matched).toBe(
      scalar(
        "SELECT COUNT(*) AS n FROM AI_TRAINING_EXAMPLES WHERE COALESCE(ANSWER_SOURCE, SELECTED_SOURCE) = 'local'",
      ),
    );
    expect(localManifest.counts.goldFrom.apiModel).toBe(0);
    expect(localManifest.filters).toEqual({ source: 'local' });

    const rated = await exportTo('rated', '--min-rating', '4', '--category', 'downtime,quality');
    expect(readManifest(rated.out).counts.matched).toBe(
      scalar(
        "SELECT COUNT(*) AS n FROM AI_TRAINING_EXAMPLES WHERE RATING >= 4 AND CATEGORY IN ('downtime', 'quality')",
      ),
    );
    // A rating of 4 can still come with "not correct" (users judge the numbers and the stars
    // apart): such a query is negative feedback whatever its rating, unless a correction gives gold.
    expect(readManifest(rated.out).counts.skipped.negativeFeedback).toBe(
      scalar(
        `SELECT COUNT(*) AS n FROM AI_TRAINING_EXAMPLES
          WHERE RATING >= 4 AND CATEGORY IN ('downtime', 'quality') AND IS_CORRECT = 0
            AND CORRECTED_SQL IS NULL AND ANSWER_SQL IS NOT NULL AND EXECUTION_SUCCESS = 1`,
      ),
    );
  });

  it('follows the gold rules and keeps duplicates on request, never across the two files', async () => {
    const corrected = await exportTo('corrected', '--gold', 'corrected', '--no-dedupe');
    const manifest = readManifest(corrected.out);
    expect(manifest.counts.examples).toBe(manifest.counts.goldFrom.userCorrection);
    expect(manifest.counts.examples).toBe(
      scalar('SELECT COUNT(*) AS n FROM AI_TRAINING_EXAMPLES WHERE CORRECTED_SQL IS NOT NULL'),
    );

    const all = await exportTo('all', '--no-dedupe', '--validation-ratio', '0.3', '--seed', '9');
    const train = (lines(join(all.out, 'train.jsonl')) as ChatLine[]).map((e) =>
      normalizeQuestion(e.messages[1]!.content),
    );
    const validation = (lines(join(all.out, 'validation.jsonl')) as ChatLine[]).map((e) =>
      normalizeQuestion(e.messages[1]!.content),
    );
    expect(new Set(train).size).toBeLessThan(train.length);
    expect(validation.filter((q) => train.includes(q))).toEqual([]);
    expect(readManifest(all.out).rules).toMatchObject({
      dedupe: false,
      split: { validationRatio: 0.3, seed: '9' },
    });

    const again = await exportTo('all-again', '--no-dedupe', '--validation-ratio', '0.3', '--seed', '9');
    expect(readFileSync(join(again.out, 'validation.jsonl'), 'utf8')).toBe(
      readFileSync(join(all.out, 'validation.jsonl'), 'utf8'),
    );
  });

  it.each([
    [
      ['--store', 'mysql://db/x'],
      2,
      /^aitdr-export: option '--store <url>' argument 'mysql:\/\/db\/x' is invalid\. unsupported store URL/,
    ],
    [
      ['--from', '2026-13-01'],
      2,
      /^aitdr-export: option '--from <date>' argument '2026-13-01' is invalid\. no such day\n$/,
    ],
    [['--from', 'yesterday'], 2, /expected a date \(YYYY-MM-DD\) or an ISO-8601 time/],
    [
      ['--from', '2026-11-20', '--to', '2026-11-10'],
      2,
      /^aitdr-export: --from \(2026-11-20T00:00:00\.000Z\) must be before --to/,
    ],
    [['--source', 'cloud'], 2, /argument 'cloud' is invalid\. Allowed choices are api, local\.\n$/],
    [['--min-rating', '6'], 2, /expected a whole number from 1 to 5\n$/],
    [['--validation-ratio', '1'], 2, /expected a number from 0 up to \(not including\) 1/],
    [['--gold', 'model,guess'], 2, /expected corrected, model or both/],
  ])('refuses %j with one line on stderr (exit %i)', async (args, exitCode, message) => {
    const { code, stdout, stderr } = await exportTo('refused', ...args);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('says which tables a store lacks, and leaves an earlier export as it was', async () => {
    const { out } = await exportTo('kept');
    const before = readFileSync(join(out, 'train.jsonl'), 'utf8');
    const empty = join(demo.directory, 'empty.db');
    new Database(empty).close();
    const result = await runCommand(runExportCommand, ['--store', `sqlite:${empty}`, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^aitdr-export: sqlite:${empty} has no AI_TRAINING_QUERIES, .*AI_TRAINING_EXAMPLES: is it a training-data store\\?`,
      ),
    );
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(readFileSync(join(out, 'train.jsonl'), 'utf8')).toBe(before);

    const missing = await runCommand(runExportCommand, [
      '--store',
      `sqlite:${join(demo.directory, 'nope.db')}`,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^aitdr-export: cannot open sqlite:.*nope\.db: /);
  });

  it('refuses a file that is not a store without touching it', async () => {
    const text = join(demo.directory, 'notes.db');
    writeFileSync(text, 'not a database');
    const result = await runCommand(runExportCommand, [
      '--store',
      `sqlite:${text}`,
      '--out',
      join(demo.directory, 'x'),
    ]);
    expect(result.code).toBe(1);
    expect(readFileSync(text, 'utf8')).toBe('not a database');
  });
});
