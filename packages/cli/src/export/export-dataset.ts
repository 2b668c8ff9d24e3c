/**
 * The fine-tuning dataset export: reads AI_TRAINING_EXAMPLES once and the model answers from any
 * store (filters in SQL), applies the rules (gold SQL, schema context, preference pairs,
 * de-duplication), splits by intent with a leakage check, and writes the JSON Lines, Parquet, the
 * dataset card and the manifest. An intent's members are only known once every row is read, so
 * the examples go to a spool file as they come and only their keys stay in memory; once the split
 * is decided the spool is read back into the files. The files are written under temporary names
 * and renamed at the end, so a failed export leaves an earlier one as it was.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelSource } from '@aitdr/conventions';
import { loadSqlParser, normalizeSql } from '@aitdr/demo';
import { AI_TRAINING_QUERIES, AI_USER_FEEDBACK, selectedSqlOf, trainingExamplesSelect } from '@aitdr/schema';
import { openTableReader } from '@aitdr/exporter';
import type { Binds, ReadRow, StoreOptions, TableReader } from '@aitdr/exporter';
import { asText } from '../store/read-values.js';
import type { Progress } from '../terminal/progress.js';
import { datasetCard, EXAMPLE_COLUMNS, JsonLinesFile, PAIR_COLUMNS, ParquetFile } from './dataset-files.js';
import type { WrittenFile } from './dataset-files.js';
import {
  defaultInstructions,
  exampleLineEnd,
  exampleLineStart,
  formatOpenAiPreference,
  formatPromptChosenRejected,
  systemMessage,
} from './example-formats.js';
import type { ExampleFormat } from './example-formats.js';
import {
  correctionPairOf,
  disagreementPairOf,
  goldSqlOf,
  normalizeQuestion,
  RULES_VERSION,
  schemaContextOf,
  textKey,
} from './export-rules.js';
import type { GoldRules, MissingSchemaMode, ModelAnswer, PairRule, SkipReason } from './export-rules.js';
import { assignGroups, checkLeakage } from './intent-groups.js';
import type { GroupedItem, LeakageCheck, Split } from './intent-groups.js';
import { readFailedAnswers } from './recorded-answers.js';
import { RecordSpool } from './record-spool.js';

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
  /** Directory of the files (EXPORT_FILES); created when missing. */
  readonly outDirectory: string;
  readonly format: ExampleFormat;
  readonly rules: GoldRules;
  /** Queries without schema context: skipped (default) or written with a prompt naming no schema. */
  readonly missingSchema?: MissingSchemaMode;
  readonly filters: ExportFilters;
  /** One example per normalised question, one pair per prompt and SQL (the first kept: corrected ones first, then the newest). */
  readonly dedupe: boolean;
  readonly validationRatio: number;
  readonly seed: string;
  /** System instructions; default `defaultInstructions(database type of the query)`. */
  readonly instructions?: string;
  readonly progress?: Progress;
}

/** What an export writes, by role. */
export const EXPORT_FILES = {
  /** Supervised fine-tuning examples (JSON Lines in `--format`). */
  train: 'train.jsonl',
  validation: 'validation.jsonl',
  /** Preference pairs in OpenAI's preference fine-tuning format. */
  preferenceTrain: 'preference-train.jsonl',
  preferenceValidation: 'preference-validation.jsonl',
  /** The same pairs as `{prompt, chosen, rejected}`, the form TRL's DPO trainer reads. */
  dpoTrain: 'dpo-train.jsonl',
  dpoValidation: 'dpo-validation.jsonl',
  /** The examples and the pairs as Parquet, for the Hugging Face `datasets` library and the like. */
  trainParquet: 'train.parquet',
  validationParquet: 'validation.parquet',
  dpoTrainParquet: 'dpo-train.parquet',
  dpoValidationParquet: 'dpo-validation.parquet',
  /** The dataset card: Hugging Face YAML header (configs, splits, features), then what the data is. */
  card: 'README.md',
  manifest: 'manifest.json',
} as const;
export type ExportFileRole = keyof typeof EXPORT_FILES;
/** The data files: every file but the card and the manifest. */
type DataFileRole = Exclude<ExportFileRole, 'card' | 'manifest'>;

/** Skip reasons the rules give, and `duplicate` from de-duplication. */
export type SkipCounts = Readonly<Record<SkipReason | 'duplicate', number>>;

export interface ExportManifest {
  /** `aitdr-` and 16 hex digits of the SHA-256 of the rules' version, the options and every data file's hash. */
  readonly datasetId: string;
  readonly rulesVersion: number;
  readonly store: string;
  /** What the store held when read: the same snapshot and options give the same files and ID. */
  readonly snapshot: { readonly queries: number; readonly latestRecordedAt: string | null };
  readonly format: ExampleFormat;
  /** Every file but the manifest: its name, SHA-256 (hex) and rows (lines of JSON Lines, rows of Parquet). */
  readonly files: Readonly<Record<Exclude<ExportFileRole, 'manifest'>, FileEntry>>;
  readonly counts: {
    /** Queries in the store. */
    readonly queries: number;
    /** Queries the filters let through. */
    readonly matched: number;
    readonly examples: number;
    readonly train: number;
    readonly validation: number;
    /** Matched queries that gave no example, by reason. */
    readonly skipped: SkipCounts;
    /** Where the examples' SQL came from. */
    readonly goldFrom: {
      readonly userCorrection: number;
      readonly apiModel: number;
      readonly localModel: number;
      readonly modelOfUnknownSource: number;
    };
    readonly byCategory: Readonly<Record<string, number>>;
    /** Intents: examples sharing a normalised question or gold SQL, never split across the files. */
    readonly groups: { readonly total: number; readonly train: number; readonly validation: number };
    /** Questions and gold SQL found in both files (the export fails unless both are 0). */
    readonly leakage: LeakageCheck;
    readonly preference: {
      readonly pairs: number;
      readonly train: number;
      readonly validation: number;
      readonly byRule: Readonly<Record<PairRule, number>>;
      /** Pairs found but not written: the same prompt and SQL again, or no schema context. */
      readonly duplicate: number;
      readonly noSchemaContext: number;
    };
  };
  readonly rules: {
    readonly gold: readonly string[];
    readonly negativeRating: number;
    readonly requireFeedback: boolean;
    readonly missingSchema: MissingSchemaMode;
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

export interface FileEntry {
  readonly name: string;
  readonly sha256: string;
  readonly rows: number;
}

/**
 * The view's columns the export reads for every row. The selected interaction's SQL (the view's
 * GENERATED_SQL) is read for the corrected queries alone, the only ones whose rows use it (a
 * correction replaced it when no answer SQL ran); SELECTED_SOURCE only when the source filter
 * needs it. Their joins on every row were a sixth of the read's CPU on the 200k-query store.
 */
const COLUMNS = [
  'QUERY_ID',
  'QUERY_TEXT',
  'DATABASE_TYPE',
  'QUERY_TIME',
  'CATEGORY',
  'SCHEMA_CONTEXT',
  'EXECUTION_SUCCESS',
  'RATING',
  'IS_CORRECT',
  'CORRECTED_SQL',
  'ANSWER_SOURCE',
  'ANSWER_SQL',
  'ANSWER_INTERACTION_ID',
];

/**
 * The filtered rows, as a WHERE clause on the view. Every value is a bind; column names are
 * constants.
 */
function examplesQuery(
  reader: TableReader,
  filters: ExportFilters,
  /** The schema context's text is used, not only whether there is one (see `schemaContextPresence`). */
  schemaText: boolean,
  binds: Binds = reader.binds(),
) {
  const columns = filters.source === undefined ? COLUMNS : [...COLUMNS, 'SELECTED_SOURCE'];
  // The select list's binds first: SQLite's placeholders are numbered in the order they appear.
  const select = [
    ...columns.map((column) =>
      column === 'SCHEMA_CONTEXT' && !schemaText && reader.dialect === 'sqlite'
        ? `${schemaContextPresence(binds)} AS SCHEMA_CONTEXT`
        : `v.${column}`,
    ),
    `CASE WHEN v.CORRECTED_SQL IS NOT NULL THEN ${selectedSqlOf('v.QUERY_ID')} END AS GENERATED_SQL`,
  ].join(', ');
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
  // The view's rows with only the joins these columns read (the same rows as the view gives).
  const sql = `SELECT ${select} FROM (${trainingExamplesSelect(columns)}) v${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
  return { sql, binds };
}

/**
 * The empty text and the characters JavaScript's `trim()` removes (white space and line
 * terminators, all below U+10000): a text starting with none of them is not blank.
 */
const BLANK_STARTS = [
  '',
  ...Array.from({ length: 0x10000 }, (_, code) => String.fromCharCode(code)).filter((c) => c.trim() === ''),
];

/**
 * The view's SCHEMA_CONTEXT for a reader that only asks whether a query has one (the stats): the
 * text itself when it may be blank (it starts with a character `trim()` removes), else a one-character
 * stand-in, which `asText` reads as present just the same. On SQLite, whose rows are sorted with
 * every value and then cross to the caller's thread: a context is a few KiB, the rest of a row a few
 * hundred bytes.
 */
function schemaContextPresence(binds: Binds): string {
  const starts = BLANK_STARTS.map((start) => binds.add(start)).join(', ');
  return `CASE WHEN SUBSTR(v.SCHEMA_CONTEXT, 1, 1) IN (${starts}) THEN v.SCHEMA_CONTEXT WHEN v.SCHEMA_CONTEXT IS NOT NULL THEN '#' END`;
}

/** The condition on AI_TRAINING_QUERIES of the filters on the question's time, if any. */
function askedIn(filters: ExportFilters, binds: Binds): string | undefined {
  const where: string[] = [];
  if (filters.from !== undefined) where.push(`START_TIME >= ${binds.add(filters.from)}`);
  if (filters.until !== undefined) where.push(`START_TIME < ${binds.add(filters.until)}`);
  return where.length === 0 ? undefined : where.join(' AND ');
}

export async function exportDataset(options: ExportOptions): Promise<ExportManifest> {
  const reader = await openTableReader(options.store);
  try {
    return await exportFrom(reader, options);
  } finally {
    await reader.close();
  }
}

/** SQL compared as the stats' agreement compares it: the parser's layout, case, aliases. */
export async function sqlComparer(): Promise<{
  key: (sql: string) => string;
  same: (a: string, b: string) => boolean;
}> {
  const parser = await loadSqlParser();
  const keys = new Map<string, string>();
  const key = (sql: string) => {
    let cached = keys.get(sql);
    if (cached === undefined) {
      cached = textKey(normalizeSql(sql, parser));
      keys.set(sql, cached);
    }
    return cached;
  };
  return { key, same: (a, b) => key(a) === key(b) };
}

export interface Example extends GroupedItem {
  readonly system: string;
  readonly question: string;
  readonly sql: string;
  readonly category: string | undefined;
  readonly goldFrom: 'user_correction' | ModelSource | undefined;
}

export interface Pair extends GroupedItem {
  readonly system: string;
  readonly question: string;
  readonly chosen: string;
  readonly rejected: string;
  readonly rule: PairRule;
}

/** Where the examples and pairs go as the rules make them, in the order of the rows. */
export interface DatasetSink {
  example?(example: Example): Promise<void> | void;
  pair?(pair: Pair): Promise<void> | void;
  /** Every row the filters let through, before the rules: the stats count more from the same read. */
  row?(row: ReadRow): void;
}

/** An example's or a pair's intent and file. */
export interface Placement {
  readonly group: string;
  readonly split: Split;
}

/**
 * What the rules make of the store: counts, and each example's and pair's intent and file in the
 * order the sink was given them (the items themselves went to the sink, not into memory).
 */
export interface CollectedDataset {
  /** Queries in the store, and those the filters let through. */
  readonly queries: number;
  readonly matched: number;
  readonly examples: readonly Placement[];
  readonly pairs: readonly Placement[];
  readonly skipped: SkipCounts;
  readonly pairSkips: { readonly duplicate: number; readonly noSchemaContext: number };
  readonly leakage: LeakageCheck;
  /** Examples by where their SQL came from: `user_correction`, `api`, `local`, `(none)` (a model of unknown source). */
  readonly goldFrom: Readonly<Record<string, number>>;
  /** Examples by category; `(none)` for queries without one. */
  readonly byCategory: Readonly<Record<string, number>>;
  readonly pairsByRule: Readonly<Record<PairRule, number>>;
}

/**
 * Values found by a text of a few KiB that comes as a fresh string with every row (a schema
 * context): by its length and a few characters sampled along it, then the whole text compared,
 * rather than by a Map hashing every character of it (200,000 contexts of 1.3 KiB, 38 distinct:
 * 0.36-0.38 s CPU against 0.04-0.11 s, fresh strings from SQLite, 4 alternating rounds).
 */
export class TextKeyed<V> {
  private readonly byKey = new Map<number, [text: string, value: V][]>();
  private absent: V | undefined;

  get(text: string | undefined): V | undefined {
    if (text === undefined) return this.absent;
    const entries = this.byKey.get(sampledKey(text));
    if (entries !== undefined) for (const [known, value] of entries) if (known === text) return value;
    return undefined;
  }

  set(text: string | undefined, value: V): void {
    if (text === undefined) {
      this.absent = value;
      return;
    }
    const key = sampledKey(text);
    const entries = this.byKey.get(key);
    const found = entries?.find(([known]) => known === text);
    if (found !== undefined) found[1] = value;
    else if (entries !== undefined) entries.push([text, value]);
    else this.byKey.set(key, [[text, value]]);
  }
}

/** A text's length and seven of its characters, at eighths of its length, as one number. */
function sampledKey(text: string): number {
  const length = text.length;
  let key = length;
  for (let eighth = 1; eighth < 8; eighth++)
    key = (Math.imul(key, 31) + text.charCodeAt((length * eighth) >> 3)) | 0;
  return key;
}

/** System messages found by their database type and schema context, at most (see collectDataset). */
const MAX_KNOWN_SYSTEMS = 1000;

/** The system message of the examples and pairs of a sink that takes none of them. */
const NO_SYSTEM_MESSAGE = '';

/** The label of examples without a category or a known source, in the counts. */
const NONE = '(none)';

/** The options the rules and the split read (not where or how the files are written). */
export type DatasetOptions = Pick<
  ExportOptions,
  'rules' | 'missingSchema' | 'filters' | 'dedupe' | 'validationRatio' | 'seed' | 'instructions' | 'progress'
>;

/**
 * Reads the store (the view once) and applies the rules, the de-duplication, the split and the
 * leakage check (throws LeakageError): the export writes what `sink` is given, the stats report
 * counts it. Holds the keys of the examples and pairs, never the examples.
 */
export async function collectDataset(
  reader: TableReader,
  options: DatasetOptions,
  sink: DatasetSink = {},
  /** The answers of the period's queries, when the caller has read them already. */
  knownAnswers?: ReadonlyMap<string, readonly ModelAnswer[]>,
): Promise<CollectedDataset> {
  const missingSchema = options.missingSchema ?? 'skip';
  const [total] = await reader.query(`SELECT COUNT(*) AS N FROM ${AI_TRAINING_QUERIES.name}`);
  const queries = Number(total?.N ?? 0);
  // The rows the view will give, as far as the query table alone can say (for the progress bar);
  // the other filters need the view, which is read once, below.
  const periodBinds = reader.binds();
  const period = askedIn(options.filters, periodBinds);
  const [inPeriod] =
    period === undefined
      ? [total]
      : await reader.query(
          `SELECT COUNT(*) AS N FROM ${AI_TRAINING_QUERIES.name} WHERE ${period}`,
          periodBinds,
        );
  const sql = await sqlComparer();
  const answers =
    knownAnswers ??
    // Only a failed answer can be the rejected side of a disagreement: the others are not read.
    (await readFailedAnswers(
      reader,
      // Answers are looked up only for the rows the view gives: the period alone bounds what is read.
      period === undefined
        ? undefined
        : (binds) =>
            `SELECT QUERY_ID FROM ${AI_TRAINING_QUERIES.name} WHERE ${askedIn(options.filters, binds)}`,
      (answer) => answer.sql !== undefined,
    ));
  // Many examples share their system message (the same schema context) and their SQL: one copy each.
  const strings = new Map<string, string>();
  const intern = (text: string) => {
    const known = strings.get(text);
    if (known !== undefined) return known;
    strings.set(text, text);
    return text;
  };
  // A system message is looked up by its database type and schema context rather than built and
  // interned for each row (a string of several KiB hashed per row was the loop's costliest step).
  // The lookup keeps the schema text as a key: only for the first few, which most rows share.
  const knownSystems = new Map<string | undefined, TextKeyed<string>>();
  let knownSystemCount = 0;
  const systemOf = (databaseType: string | undefined, schema: string | undefined) => {
    let bySchema = knownSystems.get(databaseType);
    if (bySchema === undefined) knownSystems.set(databaseType, (bySchema = new TextKeyed<string>()));
    let system = bySchema.get(schema);
    if (system === undefined) {
      system = intern(
        systemMessage(
          options.instructions ?? defaultInstructions(databaseType, schema !== undefined),
          schema,
        ),
      );
      if (knownSystemCount < MAX_KNOWN_SYSTEMS) {
        bySchema.set(schema, system);
        knownSystemCount += 1;
      }
    }
    return system;
  };

  // A sink that counts and takes no examples or pairs (the stats) needs no system message: finding
  // it by a schema context of a few KiB was a large part of the rows' cost.
  const takesItems = sink.example !== undefined || sink.pair !== undefined;

  const skipped: Record<SkipReason | 'duplicate', number> = {
    noQuestion: 0,
    correctionNotUsed: 0,
    noCorrection: 0,
    notExecuted: 0,
    noAnswerLink: 0,
    noAnswerSql: 0,
    executionFailed: 0,
    negativeFeedback: 0,
    noFeedback: 0,
    noSchemaContext: 0,
    duplicate: 0,
  };
  const exampleKeys: GroupedItem[] = [];
  const pairKeys: GroupedItem[] = [];
  const goldFrom: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  const pairsByRule: Record<PairRule, number> = { userCorrection: 0, modelDisagreement: 0 };
  const pairSkips = { duplicate: 0, noSchemaContext: 0 };
  const seenQuestions = new Set<string>();
  const seenPairs = new Set<string>();
  let matched = 0;

  const query = examplesQuery(reader, options.filters, takesItems);
  // Corrected ones first (de-duplication keeps a correction over a model's answer), then the newest.
  // The last key is an expression, not the column: ordering by QUERY_ID made SQLite read the query
  // table through its primary-key index, in ID order, and then every stage table's rows in random
  // order (10% more page reads over the 200k-query store; the result is sorted whole either way).
  const ordered = `${query.sql} ORDER BY CASE WHEN CORRECTED_SQL IS NULL THEN 1 ELSE 0 END, QUERY_TIME DESC, QUERY_ID || ''`;
  options.progress?.start(Number(inPeriod?.N ?? 0));
  try {
    for await (const row of reader.stream(ordered, query.binds)) {
      matched += 1;
      options.progress?.increment();
      sink.row?.(row);
      const question = asText(row.QUERY_TEXT)?.trim();
      const normalizedQuestion = question === undefined ? '' : normalizeQuestion(question);
      if (question === undefined || normalizedQuestion === '') {
        skipped.noQuestion += 1;
        continue;
      }
      const questionKey = textKey(normalizedQuestion);
      const gold = goldSqlOf(row, options.rules);
      const context = schemaContextOf(row, missingSchema);
      const system =
        'skip' in context
          ? undefined
          : takesItems
            ? systemOf(asText(row.DATABASE_TYPE), context.schema)
            : NO_SYSTEM_MESSAGE;

      for (const pair of [
        correctionPairOf(row, options.rules, sql.same),
        disagreementPairOf(gold, answers.get(String(row.QUERY_ID)) ?? [], sql.same),
      ]) {
        if (pair === undefined) continue;
        if (system === undefined) {
          pairSkips.noSchemaContext += 1;
          continue;
        }
        const sqlKey = sql.key(pair.chosen);
        const pairKey = `${questionKey}\u0000${sqlKey}\u0000${sql.key(pair.rejected)}`;
        if (options.dedupe && seenPairs.has(pairKey)) {
          pairSkips.duplicate += 1;
          continue;
        }
        seenPairs.add(pairKey);
        pairKeys.push({ questionKey, sqlKey });
        pairsByRule[pair.rule] += 1;
        await sink.pair?.({
          ...pair,
          chosen: intern(pair.chosen),
          rejected: intern(pair.rejected),
          system,
          question,
          questionKey,
          sqlKey,
        });
      }

      if ('skip' in gold) {
        skipped[gold.skip] += 1;
        continue;
      }
      if (system === undefined) {
        skipped.noSchemaContext += 1;
        continue;
      }
      if (options.dedupe) {
        if (seenQuestions.has(questionKey)) {
          skipped.duplicate += 1;
          continue;
        }
        seenQuestions.add(questionKey);
      }
      const example: Example = {
        system,
        question,
        sql: intern(gold.sql),
        category: asText(row.CATEGORY),
        goldFrom: gold.from === 'user_correction' ? gold.from : gold.source,
        questionKey,
        sqlKey: sql.key(gold.sql),
      };
      exampleKeys.push({ questionKey, sqlKey: example.sqlKey });
      const source = example.goldFrom ?? NONE;
      goldFrom[source] = (goldFrom[source] ?? 0) + 1;
      const category = example.category ?? NONE;
      byCategory[category] = (byCategory[category] ?? 0) + 1;
      await sink.example?.(example);
    }
    // Filters the query table cannot answer (source, rating, category) leave fewer rows.
    if (matched !== Number(inPeriod?.N ?? 0)) options.progress?.setTotal?.(matched);
  } finally {
    options.progress?.stop();
  }

  // Done with: freed before the grouping allocates its own.
  seenQuestions.clear();
  seenPairs.clear();
  // Examples and pairs are grouped together: a pair's prompt and chosen SQL follow its intent.
  const items = exampleKeys.concat(pairKeys);
  const assigned = assignGroups(items, options.seed, options.validationRatio);
  const leakage = checkLeakage(
    (function* placed() {
      // One record refilled per item rather than a copy of each: the check reads an item's keys
      // at once and keeps no item (a copy per item was 0.3 s of CPU at 200,000 items).
      const item: { questionKey: string; sqlKey: string; split: Split } = {
        questionKey: '',
        sqlKey: '',
        split: 'train',
      };
      for (let i = 0; i < items.length; i++) {
        item.questionKey = items[i]!.questionKey;
        item.sqlKey = items[i]!.sqlKey;
        item.split = assigned[i]!.split;
        yield item;
      }
    })(),
  );
  return {
    queries,
    matched,
    examples: assigned.slice(0, exampleKeys.length),
    pairs: assigned.slice(exampleKeys.length),
    skipped,
    pairSkips,
    leakage,
    goldFrom,
    byCategory,
    pairsByRule,
  };
}

/** Distinct SQL texts and labels kept for sharing while the files are written, at most. */
const MAX_SHARED_STRINGS = 100_000;

/** An example as the spool keeps it: the index of its system message, then its fields. */
type ExampleRecord = [number, string, string, string | null, string | null];
/** A pair as the spool keeps it. */
type PairRecord = [number, string, string, string, PairRule];

async function exportFrom(reader: TableReader, options: ExportOptions): Promise<ExportManifest> {
  const snapshot = await storeSnapshot(reader);
  const directory = resolve(options.outDirectory);
  const created = await mkdir(directory, { recursive: true });
  const partial = (name: string) => join(directory, `.${name}.partial`);
  const exampleSpool = await RecordSpool.create<ExampleRecord>(partial('examples.spool'));
  const pairSpool = await RecordSpool.create<PairRecord>(partial('pairs.spool'));
  const written: string[] = [];
  const files: { abandon(): Promise<void> | void }[] = [];
  let dataset: CollectedDataset;
  const dataEntries = {} as Record<DataFileRole, FileEntry>;
  const groups = { train: new Set<string>(), validation: new Set<string>() };
  try {
    // A system message (instructions and schema context) is spooled as its index: one copy each.
    const systems = new Map<string, number>();
    const systemIndex = (system: string) => {
      let index = systems.get(system);
      if (index === undefined) {
        index = systems.size;
        systems.set(system, index);
      }
      return index;
    };
    dataset = await collectDataset(reader, options, {
      example: (e) =>
        exampleSpool.add([systemIndex(e.system), e.question, e.sql, e.category ?? null, e.goldFrom ?? null]),
      pair: (p) => pairSpool.add([systemIndex(p.system), p.question, p.chosen, p.rejected, p.rule]),
    });
    const systemTexts = [...systems.keys()];

    const jsonl = async (role: DataFileRole) => {
      written.push(EXPORT_FILES[role]);
      const file = await JsonLinesFile.create(partial(EXPORT_FILES[role]));
      files.push(file);
      return file;
    };
    const parquet = (role: DataFileRole, columns: readonly string[]) => {
      written.push(EXPORT_FILES[role]);
      const file = new ParquetFile(partial(EXPORT_FILES[role]), columns);
      files.push(file);
      return file;
    };
    const sft = { train: await jsonl('train'), validation: await jsonl('validation') };
    const preference = {
      train: await jsonl('preferenceTrain'),
      validation: await jsonl('preferenceValidation'),
    };
    const dpo = { train: await jsonl('dpoTrain'), validation: await jsonl('dpoValidation') };
    const sftParquet = {
      train: parquet('trainParquet', EXAMPLE_COLUMNS),
      validation: parquet('validationParquet', EXAMPLE_COLUMNS),
    };
    const dpoParquet = {
      train: parquet('dpoTrainParquet', PAIR_COLUMNS),
      validation: parquet('dpoValidationParquet', PAIR_COLUMNS),
    };

    // A Parquet row group holds its rows until written: the SQL and labels they share, once.
    const shared = new Map<string, string>();
    const once = (text: string | null) => {
      if (text === null) return null;
      const known = shared.get(text);
      if (known !== undefined) return known;
      if (shared.size < MAX_SHARED_STRINGS) shared.set(text, text);
      return text;
    };
    // An example's line starts with its system message, the same for many: encoded once each.
    const lineStarts = new Map<number, Buffer>();
    const lineStart = (system: number) => {
      let start = lineStarts.get(system);
      if (start === undefined) {
        start = Buffer.from(exampleLineStart(options.format, systemTexts[system]!));
        if (lineStarts.size < MAX_SHARED_STRINGS) lineStarts.set(system, start);
      }
      return start;
    };
    let index = 0;
    for await (const [system, question, sql, category, goldFrom] of exampleSpool.records()) {
      const { group, split } = dataset.examples[index++]!;
      const gold = once(sql)!;
      await sft[split].addParts(lineStart(system), exampleLineEnd(options.format, question, gold));
      sftParquet[split].add([systemTexts[system]!, question, gold, once(category), once(goldFrom), group]);
      groups[split].add(group);
    }
    index = 0;
    for await (const [system, question, chosen, rejected, rule] of pairSpool.records()) {
      const { group, split } = dataset.pairs[index++]!;
      const pair = {
        system: systemTexts[system]!,
        question,
        chosen: once(chosen)!,
        rejected: once(rejected)!,
      };
      await preference[split].add(formatOpenAiPreference(pair));
      await dpo[split].add(formatPromptChosenRejected(options.format, pair));
      dpoParquet[split].add([pair.system, question, pair.chosen, pair.rejected, rule, group]);
    }

    const entry = (role: DataFileRole, file: WrittenFile): FileEntry => ({
      name: EXPORT_FILES[role],
      ...file,
    });
    // Entries in this order: the manifest and the dataset ID are made of them.
    const finished: [DataFileRole, WrittenFile][] = [
      ['train', await sft.train.finish()],
      ['validation', await sft.validation.finish()],
      ['preferenceTrain', await preference.train.finish()],
      ['preferenceValidation', await preference.validation.finish()],
      ['dpoTrain', await dpo.train.finish()],
      ['dpoValidation', await dpo.validation.finish()],
      ['trainParquet', sftParquet.train.finish()],
      ['validationParquet', sftParquet.validation.finish()],
      ['dpoTrainParquet', dpoParquet.train.finish()],
      ['dpoValidationParquet', dpoParquet.validation.finish()],
    ];
    for (const [role, file] of finished) dataEntries[role] = entry(role, file);
  } catch (error) {
    await Promise.all(files.map(async (file) => file.abandon()));
    await Promise.all(written.map((name) => rm(partial(name), { force: true })));
    // A directory made for this export and left empty goes too.
    if (created !== undefined) await rm(created, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  } finally {
    await exampleSpool.remove();
    await pairSpool.remove();
  }

  const { skipped, pairSkips, leakage, matched } = dataset;
  const rows = (role: DataFileRole) => dataEntries[role].rows;
  const rules: ExportManifest['rules'] = {
    gold: options.rules.gold,
    negativeRating: options.rules.negativeRating,
    requireFeedback: options.rules.requireFeedback,
    missingSchema: options.missingSchema ?? 'skip',
    dedupe: options.dedupe,
    split: { validationRatio: options.validationRatio, seed: options.seed },
    instructions: options.instructions ?? defaultInstructions('{DATABASE_TYPE}'),
  };
  const filters = manifestFilters(options.filters);
  const datasetId = `aitdr-${sha256(
    Buffer.from(
      JSON.stringify({
        rulesVersion: RULES_VERSION,
        format: options.format,
        rules,
        filters,
        files: dataEntries,
      }),
    ),
  ).slice(0, 16)}`;
  const counts: ExportManifest['counts'] = {
    queries: dataset.queries,
    matched,
    examples: dataset.examples.length,
    train: rows('train'),
    validation: rows('validation'),
    skipped,
    goldFrom: {
      userCorrection: dataset.goldFrom.user_correction ?? 0,
      apiModel: dataset.goldFrom.api ?? 0,
      localModel: dataset.goldFrom.local ?? 0,
      modelOfUnknownSource: dataset.goldFrom[NONE] ?? 0,
    },
    byCategory: Object.fromEntries(Object.entries(dataset.byCategory).sort(([a], [b]) => a.localeCompare(b))),
    groups: {
      total: new Set([...groups.train, ...groups.validation]).size,
      train: groups.train.size,
      validation: groups.validation.size,
    },
    leakage,
    preference: {
      pairs: dataset.pairs.length,
      train: rows('dpoTrain'),
      validation: rows('dpoValidation'),
      byRule: dataset.pairsByRule,
      ...pairSkips,
    },
  };
  const card = Buffer.from(
    datasetCard({ datasetId, format: options.format, counts, rules, files: dataEntries }),
  );
  const manifest: ExportManifest = {
    datasetId,
    rulesVersion: RULES_VERSION,
    store: reader.store,
    snapshot,
    format: options.format,
    files: {
      ...dataEntries,
      card: { name: EXPORT_FILES.card, sha256: sha256(card), rows: 1 },
    },
    counts,
    rules,
    filters,
  };
  try {
    await writeFile(partial(EXPORT_FILES.card), card);
    await writeFile(partial(EXPORT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (error) {
    await Promise.all(
      [...written, EXPORT_FILES.card, EXPORT_FILES.manifest].map((name) =>
        rm(partial(name), { force: true }),
      ),
    );
    throw error;
  }
  // Renamed only once every file is whole: a failed export leaves an earlier one as it was.
  for (const name of [...written, EXPORT_FILES.card, EXPORT_FILES.manifest]) {
    await rename(partial(name), join(directory, name));
  }
  return manifest;
}

/** How many queries the store holds and when its newest row was written (queries or feedback). */
async function storeSnapshot(reader: TableReader): Promise<ExportManifest['snapshot']> {
  const [queries] = await reader.query(
    `SELECT COUNT(*) AS N, MAX(RECORDED_AT) AS LATEST FROM ${AI_TRAINING_QUERIES.name}`,
  );
  const [feedback] = await reader.query(`SELECT MAX(RECORDED_AT) AS LATEST FROM ${AI_USER_FEEDBACK.name}`);
  const latest = [asText(queries?.LATEST), asText(feedback?.LATEST)]
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);
  return { queries: Number(queries?.N ?? 0), latestRecordedAt: latest ?? null };
}

function manifestFilters(filters: ExportFilters): ExportManifest['filters'] {
  return {
    ...(filters.from === undefined ? {} : { from: filters.from.toISOString() }),
    ...(filters.until === undefined ? {} : { until: filters.until.toISOString() }),
    ...(filters.source === undefined ? {} : { source: filters.source }),
    ...(filters.minRating === undefined ? {} : { minRating: filters.minRating }),
    ...(filters.categories === undefined ? {} : { categories: filters.categories }),
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
