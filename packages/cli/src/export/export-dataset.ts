/**
 * The fine-tuning dataset export: streams AI_TRAINING_EXAMPLES from any store, applies the filters
 * (in SQL), the gold-SQL rules, de-duplication and the split (in order, one row in memory at a
 * time), and writes train.jsonl, validation.jsonl and manifest.json. Files are written under
 * temporary names and renamed at the end, so a failed export leaves an earlier one as it was.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelSource } from '@aitdr/conventions';
import { TRAINING_EXAMPLES_VIEW } from '@aitdr/schema';
import { openTableReader } from '@aitdr/exporter';
import type { ReadRow, StoreOptions, TableReader } from '@aitdr/exporter';
import { asText } from '../store/read-values.js';
import type { Progress } from '../terminal/progress.js';
import { defaultInstructions, formatExample, systemMessage } from './example-formats.js';
import type { ExampleFormat } from './example-formats.js';
import { goldSqlOf, normalizeQuestion, questionKey, splitOf } from './export-rules.js';
import type { GoldRules, SkipReason } from './export-rules.js';

export interface ExportFilters {
  /** Queries asked at or after this instant. */
  readonly from?: Date;
  /** Queries asked before this instant. */
  readonly until?: Date;
  /** Only examples about this model's answer (the model whose SQL ran, else the selected one). */
  readonly source?: ModelSource;
  /** Only queries whose latest feedback rated them at least this (queries without feedback are left out). */
  readonly minRating?: number;
  /** Only queries classified in one of these categories. */
  readonly categories?: readonly string[];
}

export interface ExportOptions {
  /** A store URL, or typed store options (see @aitdr/exporter). */
  readonly store: string | StoreOptions;
  /** Directory of train.jsonl, validation.jsonl and manifest.json; created when missing. */
  readonly outDirectory: string;
  readonly format: ExampleFormat;
  readonly rules: GoldRules;
  readonly filters: ExportFilters;
  /** One example per normalised question (the first kept: corrected ones first, then the newest). */
  readonly dedupe: boolean;
  readonly validationRatio: number;
  readonly seed: string;
  /** System instructions; default `defaultInstructions(database type of the query)`. */
  readonly instructions?: string;
  readonly progress?: Progress;
}

export const EXPORT_FILES = {
  train: 'train.jsonl',
  validation: 'validation.jsonl',
  manifest: 'manifest.json',
};

export interface ExportManifest {
  readonly createdAt: string;
  readonly store: string;
  readonly format: ExampleFormat;
  readonly files: { readonly train: string; readonly validation: string };
  readonly counts: {
    /** Queries in the store. */
    readonly queries: number;
    /** Queries the filters let through. */
    readonly matched: number;
    readonly examples: number;
    readonly train: number;
    readonly validation: number;
    /** Matched queries that gave no example, by reason. */
    readonly skipped: Readonly<Record<SkipReason | 'duplicate', number>>;
    /** Where the examples' SQL came from. */
    readonly goldFrom: {
      readonly userCorrection: number;
      readonly apiModel: number;
      readonly localModel: number;
      readonly modelOfUnknownSource: number;
    };
  };
  readonly rules: {
    readonly gold: readonly string[];
    readonly negativeRating: number;
    readonly requireFeedback: boolean;
    readonly dedupe: boolean;
    readonly split: { readonly validationRatio: number; readonly seed: string };
    /** The system instructions; `{DATABASE_TYPE}` stands for each query's database type. */
    readonly instructions: string;
  };
  readonly filters: {
    readonly from?: string;
    readonly until?: string;
    readonly source?: string;
    readonly minRating?: number;
    readonly categories?: readonly string[];
  };
}

/** The view's columns the export reads. */
const COLUMNS = [
  'QUERY_ID',
  'QUERY_TEXT',
  'DATABASE_TYPE',
  'QUERY_TIME',
  'CATEGORY',
  'SCHEMA_CONTEXT',
  'SELECTED_SOURCE',
  'EXECUTION_SUCCESS',
  'RATING',
  'IS_CORRECT',
  'CORRECTED_SQL',
  'ANSWER_SOURCE',
  'ANSWER_SQL',
];

/**
 * The filtered rows, corrected ones first (so de-duplication keeps a correction over a model's
 * answer), then the newest. Every value is a bind; column names are constants.
 */
function examplesQuery(reader: TableReader, filters: ExportFilters, select: string) {
  const binds = reader.binds();
  const where: string[] = [];
  if (filters.from !== undefined) where.push(`QUERY_TIME >= ${binds.add(filters.from)}`);
  if (filters.until !== undefined) where.push(`QUERY_TIME < ${binds.add(filters.until)}`);
  if (filters.source !== undefined) {
    where.push(`COALESCE(ANSWER_SOURCE, SELECTED_SOURCE) = ${binds.add(filters.source)}`);
  }
  if (filters.minRating !== undefined) where.push(`RATING >= ${binds.add(filters.minRating)}`);
  if (filters.categories !== undefined && filters.categories.length > 0) {
    where.push(`CATEGORY IN (${filters.categories.map((c) => binds.add(c)).join(', ')})`);
  }
  const sql = `SELECT ${select} FROM ${TRAINING_EXAMPLES_VIEW}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
  return { sql, binds };
}

export async function exportDataset(options: ExportOptions): Promise<ExportManifest> {
  const reader = await openTableReader(options.store);
  try {
    return await exportFrom(reader, options);
  } finally {
    await reader.close();
  }
}

async function exportFrom(reader: TableReader, options: ExportOptions): Promise<ExportManifest> {
  const [total] = await reader.query(`SELECT COUNT(*) AS N FROM ${TRAINING_EXAMPLES_VIEW}`);
  const counted = examplesQuery(reader, options.filters, 'COUNT(*) AS N');
  const [matching] = await reader.query(counted.sql, counted.binds);
  const matched = Number(matching?.N ?? 0);

  const directory = resolve(options.outDirectory);
  await mkdir(directory, { recursive: true });
  const partial = (name: string) => join(directory, `.${name}.partial`);
  const files = {
    train: createWriteStream(partial(EXPORT_FILES.train)),
    validation: createWriteStream(partial(EXPORT_FILES.validation)),
  };
  const skipped: Record<SkipReason | 'duplicate', number> = {
    noQuestion: 0,
    correctionNotUsed: 0,
    noCorrection: 0,
    notExecuted: 0,
    noAnswerLink: 0,
    executionFailed: 0,
    negativeFeedback: 0,
    noFeedback: 0,
    duplicate: 0,
  };
  const goldFrom = { userCorrection: 0, apiModel: 0, localModel: 0, modelOfUnknownSource: 0 };
  const written = { train: 0, validation: 0 };
  const seen = new Set<string>();

  try {
    const query = examplesQuery(reader, options.filters, COLUMNS.join(', '));
    const ordered = `${query.sql} ORDER BY CASE WHEN CORRECTED_SQL IS NULL THEN 1 ELSE 0 END, QUERY_TIME DESC, QUERY_ID`;
    options.progress?.start(matched);
    for await (const row of reader.stream(ordered, query.binds)) {
      options.progress?.increment();
      const example = toExample(row, options);
      if ('skip' in example) {
        skipped[example.skip] += 1;
        continue;
      }
      if (options.dedupe) {
        const key = questionKey(example.normalizedQuestion);
        if (seen.has(key)) {
          skipped.duplicate += 1;
          continue;
        }
        seen.add(key);
      }
      const split = splitOf(example.normalizedQuestion, options.seed, options.validationRatio);
      await write(files[split], formatExample(options.format, example));
      written[split] += 1;
      if (example.goldFrom === 'user_correction') goldFrom.userCorrection += 1;
      else if (example.goldFrom === 'api') goldFrom.apiModel += 1;
      else if (example.goldFrom === 'local') goldFrom.localModel += 1;
      else goldFrom.modelOfUnknownSource += 1;
    }
    options.progress?.stop();
    await Promise.all([close(files.train), close(files.validation)]);
  } catch (error) {
    options.progress?.stop();
    files.train.destroy();
    files.validation.destroy();
    await Promise.all([
      rm(partial(EXPORT_FILES.train), { force: true }),
      rm(partial(EXPORT_FILES.validation), { force: true }),
    ]);
    throw error;
  }

  const manifest: ExportManifest = {
    createdAt: new Date().toISOString(),
    store: reader.store,
    format: options.format,
    files: { train: EXPORT_FILES.train, validation: EXPORT_FILES.validation },
    counts: {
      queries: Number(total?.N ?? 0),
      matched,
      examples: written.train + written.validation,
      train: written.train,
      validation: written.validation,
      skipped,
      goldFrom,
    },
    rules: {
      gold: options.rules.gold,
      negativeRating: options.rules.negativeRating,
      requireFeedback: options.rules.requireFeedback,
      dedupe: options.dedupe,
      split: { validationRatio: options.validationRatio, seed: options.seed },
      instructions: options.instructions ?? defaultInstructions('{DATABASE_TYPE}'),
    },
    filters: {
      ...(options.filters.from === undefined ? {} : { from: options.filters.from.toISOString() }),
      ...(options.filters.until === undefined ? {} : { until: options.filters.until.toISOString() }),
      ...(options.filters.source === undefined ? {} : { source: options.filters.source }),
      ...(options.filters.minRating === undefined ? {} : { minRating: options.filters.minRating }),
      ...(options.filters.categories === undefined ? {} : { categories: options.filters.categories }),
    },
  };
  await writeFile(partial(EXPORT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const name of Object.values(EXPORT_FILES)) await rename(partial(name), join(directory, name));
  return manifest;
}

type ExampleOrSkip =
  | {
      readonly system: string;
      readonly question: string;
      readonly sql: string;
      readonly normalizedQuestion: string;
      readonly goldFrom: 'user_correction' | ModelSource | undefined;
    }
  | { readonly skip: SkipReason };

function toExample(row: ReadRow, options: ExportOptions): ExampleOrSkip {
  const question = asText(row.QUERY_TEXT)?.trim();
  const normalizedQuestion = question === undefined ? '' : normalizeQuestion(question);
  if (question === undefined || normalizedQuestion === '') return { skip: 'noQuestion' };
  const gold = goldSqlOf(row, options.rules);
  if ('skip' in gold) return gold;
  const instructions = options.instructions ?? defaultInstructions(asText(row.DATABASE_TYPE));
  return {
    system: systemMessage(instructions, asText(row.SCHEMA_CONTEXT)),
    question,
    sql: gold.sql,
    normalizedQuestion,
    goldFrom: gold.from === 'user_correction' ? gold.from : gold.source,
  };
}

/** Writes with back-pressure: waits for the stream to drain rather than buffering the whole export. */
async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'close');
}
