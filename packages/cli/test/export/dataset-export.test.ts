/**
 * The export on the demo's data, as a fine-tuning job would receive it: no leakage between the
 * files, preference pairs that follow their rules, the same files and dataset ID from the same
 * store, Parquet that an independent reader (DuckDB) reads back as the JSON Lines, and the
 * schema-context rule.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExportCommand } from '@aitdr/cli';
import type { ExportManifest } from '@aitdr/cli';
import { sqlComparer } from '../../src/export/export-dataset.js';
import { normalizeQuestion } from '../../src/export/export-rules.js';
import { recordDemoStore } from '../support/demo-store.js';
import type { DemoStore } from '../support/demo-store.js';
import { runCommand } from '../support/run-command.js';

type Message = { role: string; content: string };
interface ChatLine {
  messages: Message[];
}
interface OpenAiPair {
  input: { messages: Message[] };
  preferred_output: Message[];
  non_preferred_output: Message[];
}
interface TrlPair {
  prompt: Message[];
  chosen: Message[];
  rejected: Message[];
}

const lines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ExportManifest;

describe('the dataset export on the demo’s 300 queries', () => {
  let demo: DemoStore;
  let store: Database.Database;
  let sql: Awaited<ReturnType<typeof sqlComparer>>;
  const exportTo = async (name: string, ...args: string[]) => {
    const out = join(demo.directory, name);
    const result = await runCommand(runExportCommand, ['--store', demo.store, '--out', out, ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return { ...result, out };
  };

  beforeAll(async () => {
    demo = await recordDemoStore(300);
    store = new Database(demo.storeFile, { readonly: true });
    sql = await sqlComparer();
  });

  afterAll(() => {
    store?.close();
    demo?.remove();
  });

  it.each([[[]], [['--no-dedupe', '--validation-ratio', '0.3']]])(
    'puts no gold SQL and no normalised question in both files (%j)',
    async (args) => {
      const { out } = await exportTo(`split-${args.length}`, ...args);
      const manifest = manifestOf(out);
      const read = (file: string) => lines<ChatLine>(join(out, file));
      const [train, validation] = [read('train.jsonl'), read('validation.jsonl')];
      expect(validation.length).toBeGreaterThan(0);
      const keys = (examples: ChatLine[]) => ({
        questions: new Set(examples.map((e) => normalizeQuestion(e.messages[1]!.content))),
        sql: new Set(examples.map((e) => sql.key(e.messages[2]!.content))),
        rawSql: new Set(examples.map((e) => e.messages[2]!.content.replace(/\s+/g, ' ').trim())),
      });
      const [t, v] = [keys(train), keys(validation)];
      expect([...v.questions].filter((q) => t.questions.has(q))).toEqual([]);
      expect([...v.sql].filter((k) => t.sql.has(k))).toEqual([]);
      expect([...v.rawSql].filter((k) => t.rawSql.has(k))).toEqual([]);
      expect(manifest.counts.leakage).toEqual({ sharedGoldSql: 0, sharedQuestions: 0 });
      // The demo's questions come with openings ("Quick question: …"): fewer intents than queries.
      expect(manifest.counts.groups.total).toBeLessThan(manifest.counts.examples + 1);
      expect(manifest.counts.groups.train + manifest.counts.groups.validation).toBe(
        manifest.counts.groups.total,
      );
      if (args.length > 0) expect(manifest.counts.groups.total).toBeLessThan(manifest.counts.examples);
    },
  );

  it('writes preference pairs whose chosen SQL is the gold rule’s and whose rejected SQL was replaced or failed', async () => {
    const { out } = await exportTo('pairs');
    const manifest = manifestOf(out);
    const openAi = [
      ...lines<OpenAiPair>(join(out, 'preference-train.jsonl')),
      ...lines<OpenAiPair>(join(out, 'preference-validation.jsonl')),
    ];
    const trl = [
      ...lines<TrlPair>(join(out, 'dpo-train.jsonl')),
      ...lines<TrlPair>(join(out, 'dpo-validation.jsonl')),
    ];
    expect(openAi).toHaveLength(manifest.counts.preference.pairs);
    expect(manifest.counts.preference.byRule.userCorrection).toBeGreaterThan(0);
    expect(manifest.counts.preference.byRule.modelDisagreement).toBeGreaterThan(0);
    // The two forms hold the same pairs, in the same order.
    expect(trl.map((p) => [p.prompt, p.chosen[0]!.content, p.rejected[0]!.content])).toEqual(
      openAi.map((p) => [
        p.input.messages,
        p.preferred_output[0]!.content,
        p.non_preferred_output[0]!.content,
      ]),
    );

    const queries = store
      .prepare(
        `SELECT QUERY_ID, QUERY_TEXT, CORRECTED_SQL, ANSWER_SQL, ANSWER_SOURCE, GENERATED_SQL,
                EXECUTION_SUCCESS, RATING, IS_CORRECT FROM AI_TRAINING_EXAMPLES`,
      )
      .all() as {
      QUERY_ID: string;
      QUERY_TEXT: string;
      CORRECTED_SQL: string | null;
      ANSWER_SQL: string | null;
      ANSWER_SOURCE: string | null;
      GENERATED_SQL: string | null;
      EXECUTION_SUCCESS: number | null;
      RATING: number | null;
      IS_CORRECT: number | null;
    }[];
    const failedAnswers = store
      .prepare(
        `SELECT m.QUERY_ID, m.MODEL_SOURCE, m.GENERATED_SQL FROM AI_MODEL_INTERACTIONS m
         WHERE m.GENERATED_SQL IS NOT NULL AND (
           EXISTS (SELECT 1 FROM AI_SQL_PROCESSING p WHERE p.QUERY_ID = m.QUERY_ID AND p.INTERACTION_ID = m.INTERACTION_ID AND p.IS_VALID = 0)
           OR EXISTS (SELECT 1 FROM AI_EXECUTION_RESULTS e WHERE e.QUERY_ID = m.QUERY_ID AND e.INTERACTION_ID = m.INTERACTION_ID AND e.SUCCESS = 0))`,
      )
      .all() as { QUERY_ID: string; MODEL_SOURCE: string; GENERATED_SQL: string }[];

    for (const pair of openAi) {
      const question = pair.input.messages[1]!.content;
      const chosen = pair.preferred_output[0]!.content;
      const rejected = pair.non_preferred_output[0]!.content;
      expect(pair.input.messages[0]!.role).toBe('system');
      expect(sql.same(chosen, rejected)).toBe(false);
      const sameQuestion = queries.filter((q) => q.QUERY_TEXT.trim() === question);
      const corrected = sameQuestion.find(
        (q) => q.CORRECTED_SQL?.trim() === chosen && (q.ANSWER_SQL ?? q.GENERATED_SQL)?.trim() === rejected,
      );
      // Else: the gold rule took the answer that ran (no correction, not rated down), and the
      // other model's SQL for the same query failed validation or execution.
      const disagreement = sameQuestion.find(
        (q) =>
          q.CORRECTED_SQL === null &&
          q.ANSWER_SQL?.trim() === chosen &&
          q.EXECUTION_SUCCESS === 1 &&
          q.IS_CORRECT !== 0 &&
          (q.RATING === null || q.RATING > 2) &&
          failedAnswers.some(
            (f) =>
              f.QUERY_ID === q.QUERY_ID &&
              f.MODEL_SOURCE !== q.ANSWER_SOURCE &&
              f.GENERATED_SQL.trim() === rejected,
          ),
      );
      expect(corrected ?? disagreement, `${question}: ${rejected}`).toBeDefined();
    }
  });

  it('gives byte-identical files and the same dataset ID when the same store is exported twice', async () => {
    const first = await exportTo('twice-1', '--format', 'completion');
    const second = await exportTo('twice-2', '--format', 'completion');
    const files = readdirSync(first.out).sort();
    expect(files).toEqual([
      'README.md',
      'dpo-train.jsonl',
      'dpo-train.parquet',
      'dpo-validation.jsonl',
      'dpo-validation.parquet',
      'manifest.json',
      'preference-train.jsonl',
      'preference-validation.jsonl',
      'train.jsonl',
      'train.parquet',
      'validation.jsonl',
      'validation.parquet',
    ]);
    expect(readdirSync(second.out).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(second.out, file)).equals(readFileSync(join(first.out, file))), file).toBe(
        true,
      );
    }
    const manifest = manifestOf(first.out);
    expect(manifest.datasetId).toMatch(/^aitdr-[0-9a-f]{16}$/);
    expect(manifestOf(second.out).datasetId).toBe(manifest.datasetId);
    expect(first.stdout).toContain(`Dataset ${manifest.datasetId}`);
    for (const entry of Object.values(manifest.files)) {
      const bytes = readFileSync(join(first.out, entry.name));
      expect(createHash('sha256').update(bytes).digest('hex'), entry.name).toBe(entry.sha256);
    }
    expect(manifest.snapshot.queries).toBe(300);
    expect(manifest.snapshot.latestRecordedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(manifest.rulesVersion).toBeGreaterThan(0);

    // Another option is another dataset.
    const other = await exportTo('twice-3', '--format', 'completion', '--seed', '7');
    expect(manifestOf(other.out).datasetId).not.toBe(manifest.datasetId);
  });

  it('writes Parquet that DuckDB reads back equal to the JSON Lines, and a dataset card naming them', async () => {
    const { out } = await exportTo('parquet');
    const manifest = manifestOf(out);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    try {
      const parquetRows = async (file: string) =>
        (
          await duck.runAndReadAll('SELECT * FROM read_parquet($path)', { path: join(out, file) })
        ).getRowObjectsJson() as Record<string, string | null>[];
      for (const split of ['train', 'validation'] as const) {
        const rows = await parquetRows(`${split}.parquet`);
        const jsonl = lines<ChatLine>(join(out, `${split}.jsonl`));
        expect(rows).toHaveLength(manifest.counts[split]);
        expect(rows.map((r) => [r.system, r.question, r.sql])).toEqual(
          jsonl.map((e) => e.messages.map((m) => m.content)),
        );
        expect(new Set(rows.map((r) => r.gold_source))).not.toContain(null);
      }
      for (const split of ['train', 'validation'] as const) {
        const rows = await parquetRows(`dpo-${split}.parquet`);
        const jsonl = lines<TrlPair>(join(out, `dpo-${split}.jsonl`));
        expect(rows.map((r) => [r.system, r.question, r.chosen, r.rejected])).toEqual(
          jsonl.map((p) => [...p.prompt.map((m) => m.content), p.chosen[0]!.content, p.rejected[0]!.content]),
        );
      }
    } finally {
      duck.closeSync();
    }
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const header = /^---\n([\s\S]*?)\n---\n/.exec(card)![1]!;
    expect(header).toMatch(/^license: unknown$/m);
    expect(header).toContain(
      '- config_name: sft\n  default: true\n  data_files:\n  - split: train\n    path: train.parquet\n  - split: validation\n    path: validation.parquet',
    );
    expect(header).toContain(`  - name: train\n    num_examples: ${manifest.counts.train}`);
    expect(header).toContain('    - name: sql\n      dtype: string');
    expect(card).toContain(`# Text-to-SQL training data \`${manifest.datasetId}\``);
  });

  it('skips queries without schema context, or writes a prompt that names no schema', async () => {
    const copy = join(demo.directory, 'no-context.db');
    copyFileSync(demo.storeFile, copy);
    const db = new Database(copy);
    const dropped = db
      .prepare(
        `DELETE FROM AI_SCHEMA_CONTEXTS WHERE QUERY_ID IN (
           SELECT QUERY_ID FROM AI_TRAINING_EXAMPLES WHERE CORRECTED_SQL IS NOT NULL ORDER BY QUERY_ID LIMIT 5)`,
      )
      .run().changes;
    db.close();
    expect(dropped).toBe(5);

    const skip = await runCommand(runExportCommand, [
      '--store',
      `sqlite:${copy}`,
      '--out',
      join(demo.directory, 'ctx-skip'),
      '--no-dedupe',
    ]);
    expect(skip.code).toBe(0);
    const skipped = manifestOf(join(demo.directory, 'ctx-skip'));
    expect(skipped.counts.skipped.noSchemaContext).toBe(5);
    expect(skipped.rules.missingSchema).toBe('skip');
    expect(skip.stdout).toContain('5 no schema context');
    for (const file of ['train.jsonl', 'validation.jsonl']) {
      for (const example of lines<ChatLine>(join(demo.directory, 'ctx-skip', file))) {
        expect(example.messages[0]!.content).toMatch(/schema below\.[\s\S]*\n\nSchema:\n/);
      }
    }

    const keep = await runCommand(runExportCommand, [
      '--store',
      `sqlite:${copy}`,
      '--out',
      join(demo.directory, 'ctx-keep'),
      '--no-dedupe',
      '--missing-schema',
      'no-schema-prompt',
    ]);
    expect(keep.code).toBe(0);
    const kept = manifestOf(join(demo.directory, 'ctx-keep'));
    expect(kept.counts.skipped.noSchemaContext).toBe(0);
    expect(kept.counts.examples).toBe(skipped.counts.examples + 5);
    const withoutSchema = ['train.jsonl', 'validation.jsonl']
      .flatMap((file) => lines<ChatLine>(join(demo.directory, 'ctx-keep', file)))
      .filter((e) => !e.messages[0]!.content.includes('Schema:'));
    expect(withoutSchema).toHaveLength(5);
    for (const example of withoutSchema) {
      expect(example.messages[0]!.content).not.toMatch(/schema/i);
    }
  });
});
