/**
 * The export's data files, written as their rows come (nothing holds a whole file), and its
 * dataset card. Parquet is written by hyparquet-writer: pure JavaScript with one dependency
 * (hyparquet, its reader), no native build or download, kept up by the hyparquet project; its
 * output depends only on the rows (fixed `created_by`, no timestamps), so the same rows give the
 * same bytes. Columns are flat strings, which every Parquet reader and the Hugging Face `datasets`
 * library read without a nested schema.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { ByteWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { CHUNK_BYTES, ChunkedFile } from './chunked-file.js';
import type { ExampleFormat } from './example-formats.js';
import type { ExportManifest, FileEntry } from './export-dataset.js';

/** The columns of the SFT Parquet files, in order; `system`, `question`, `sql` are the JSON Lines' messages. */
export const EXAMPLE_COLUMNS = [
  'system',
  'question',
  'sql',
  'category',
  'gold_source',
  'intent_group',
] as const;
/** The columns of the preference Parquet files. */
export const PAIR_COLUMNS = [
  'system',
  'question',
  'chosen',
  'rejected',
  'pair_rule',
  'intent_group',
] as const;

const WRITER = 'aitdr-export (hyparquet-writer)';

/** What a written file is, for the manifest: SHA-256 of its bytes and its rows. */
export interface WrittenFile {
  readonly sha256: string;
  readonly rows: number;
}

/** A JSON Lines file written line by line, hashed as it goes. */
export class JsonLinesFile {
  private readonly hash = createHash('sha256');
  private readonly out: ChunkedFile;
  private rows = 0;

  private constructor(private readonly file: FileHandle) {
    this.out = new ChunkedFile(file, this.hash);
  }

  static async create(path: string): Promise<JsonLinesFile> {
    return new JsonLinesFile(await open(path, 'w'));
  }

  /** Adds one line (ending in a new line). */
  async add(line: string): Promise<void> {
    this.rows += 1;
    await this.out.add(line);
  }

  /** Adds one line given as its start, already encoded, and the rest (ending in a new line). */
  async addParts(start: Uint8Array, rest: string): Promise<void> {
    this.rows += 1;
    await this.out.addBytes(start);
    await this.out.add(rest);
  }

  async finish(): Promise<WrittenFile> {
    await this.out.flush();
    await this.file.close();
    return { sha256: this.hash.digest('hex'), rows: this.rows };
  }

  /** Closes the file without a result (the export failed). */
  async abandon(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }
}

/** hyparquet-writer's byte writer, emptied into a file (and the hash) after every row group. */
class FileByteWriter extends ByteWriter {
  constructor(
    readonly fd: number,
    private readonly hash: Hash,
  ) {
    super(CHUNK_BYTES);
  }

  flush(): void {
    const bytes = this.getBytes();
    this.hash.update(bytes);
    for (let written = 0; written < bytes.length;) {
      written += writeSync(this.fd, bytes, written, bytes.length - written);
    }
    this.index = 0;
  }

  override finish(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Row groups of 1,000 rows, then 10,000 each; rows are held only until their group is written.
 * hyparquet-writer's whole-file default is 1,000 then 100,000: a file of up to 11,000 rows has the
 * same bytes as before, and a larger one holds a tenth of the rows in memory (a 100,000-row group
 * of examples was most of a 200,000-query export's peak memory). Readers see the same rows.
 */
const ROW_GROUP_SIZES = [1000, 10_000] as const;

/** A Parquet file of string columns, written a row group at a time. */
export class ParquetFile {
  private readonly hash = createHash('sha256');
  private readonly writer: ParquetWriter;
  private readonly byteWriter: FileByteWriter;
  private rows: (string | null)[][] = [];
  private groups = 0;
  private written = 0;

  constructor(
    path: string,
    private readonly columns: readonly string[],
  ) {
    this.byteWriter = new FileByteWriter(openSync(path, 'w'), this.hash);
    const schema = schemaFromColumnData({
      columnData: columns.map((name) => ({ name, data: [], type: 'STRING' })),
    });
    this.writer = new ParquetWriter({ writer: this.byteWriter, schema, createdBy: WRITER });
  }

  add(row: (string | null)[]): void {
    this.rows.push(row);
    if (this.rows.length >= ROW_GROUP_SIZES[Math.min(this.groups, ROW_GROUP_SIZES.length - 1)]!) {
      this.writeGroup();
    }
  }

  finish(): WrittenFile {
    this.writeGroup();
    void this.writer.finish();
    return { sha256: this.hash.digest('hex'), rows: this.written };
  }

  /** Closes the file without a result (the export failed). */
  abandon(): void {
    try {
      closeSync(this.byteWriter.fd);
    } catch {
      // already closed
    }
  }

  private writeGroup(): void {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    void this.writer.write({
      columnData: this.columns.map((name, i) => ({ name, data: rows.map((row) => row[i] ?? null) })),
      rowGroupSize: rows.length,
    });
    this.groups += 1;
    this.written += rows.length;
  }
}

interface CardInput {
  readonly datasetId: string;
  readonly format: ExampleFormat;
  readonly counts: ExportManifest['counts'];
  readonly rules: ExportManifest['rules'];
  readonly files: Readonly<Record<string, FileEntry>>;
}

/**
 * `README.md` for the Hugging Face Hub: a YAML header (two configs, `sft` and `preference`, with
 * their splits, Parquet files and string features; the licence left to the user), then what the
 * data is and how it was made.
 */
export function datasetCard(input: CardInput): string {
  const { counts, files } = input;
  const features = (columns: readonly string[]) =>
    columns.map((name) => `    - name: ${name}\n      dtype: string`).join('\n');
  const config = (name: string, columns: readonly string[], train: FileEntry, validation: FileEntry) =>
    [
      `- config_name: ${name}`,
      '  features:',
      features(columns),
      '  splits:',
      `  - name: train\n    num_examples: ${train.rows}`,
      `  - name: validation\n    num_examples: ${validation.rows}`,
    ].join('\n');
  const file = (role: string) => files[role]!;
  return `---
# Set the licence before publishing: the questions and SQL are your users' and yours.
license: unknown
pretty_name: Text-to-SQL training data (${input.datasetId})
task_categories:
- text-generation
tags:
- text-to-sql
- sql
configs:
- config_name: sft
  default: true
  data_files:
  - split: train
    path: ${file('trainParquet').name}
  - split: validation
    path: ${file('validationParquet').name}
- config_name: preference
  data_files:
  - split: train
    path: ${file('dpoTrainParquet').name}
  - split: validation
    path: ${file('dpoValidationParquet').name}
dataset_info:
${config('sft', EXAMPLE_COLUMNS, file('trainParquet'), file('validationParquet'))}
${config('preference', PAIR_COLUMNS, file('dpoTrainParquet'), file('dpoValidationParquet'))}
---

# Text-to-SQL training data \`${input.datasetId}\`

Exported by \`aitdr-export\` (AI Training Data Recorder) from recorded questions, the SQL the models
wrote, what ran, and the users' feedback. \`manifest.json\` beside this card holds every file's
SHA-256, the store's snapshot, the rules' version and every option: the same store and options
give the same files and the same dataset ID.

## Configs

- **sft**: ${counts.examples} examples (${counts.train} train, ${counts.validation} validation) in
  ${counts.groups.total} intents. \`system\` (instructions and schema context), \`question\`, \`sql\`
  (the gold SQL), \`category\`, \`gold_source\` (user_correction, api or local), \`intent_group\`.
  The same as \`train.jsonl\` / \`validation.jsonl\` (${input.format} format).
- **preference**: ${counts.preference.pairs} pairs (${counts.preference.train} train,
  ${counts.preference.validation} validation): \`chosen\` is the better SQL for the prompt,
  \`rejected\` the worse; \`pair_rule\` says why (userCorrection: ${counts.preference.byRule.userCorrection},
  modelDisagreement: ${counts.preference.byRule.modelDisagreement}). The same as
  \`preference-*.jsonl\` (OpenAI preference fine-tuning) and \`dpo-*.jsonl\` (TRL's DPO trainer).

## How it was made

- Gold SQL: the user's corrected SQL, else the SQL that ran when the feedback was not negative
  (rating at or below ${input.rules.negativeRating}, or judged incorrect). Sources used:
  ${input.rules.gold.join(', ')}.
- Queries without schema context: ${input.rules.missingSchema === 'skip' ? 'skipped' : 'written with instructions that name no schema'}.
- Split: by intent (examples sharing a normalised question or gold SQL), ${input.rules.split.validationRatio}
  of intents to validation, seed \`${input.rules.split.seed}\`. Leakage check: ${counts.leakage.sharedGoldSql}
  gold SQL and ${counts.leakage.sharedQuestions} normalised questions in both splits.
`;
}
