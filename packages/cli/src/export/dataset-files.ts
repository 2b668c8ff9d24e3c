/**
 * The export's Parquet files and its dataset card. Parquet is written by hyparquet-writer: pure
 * JavaScript with one dependency (hyparquet, its reader), no native build or download, kept up by
 * the hyparquet project; its output depends only on the rows (fixed `created_by`, no timestamps),
 * so the same rows give the same bytes. Columns are flat strings, which every Parquet reader and
 * the Hugging Face `datasets` library read without a nested schema.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
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

function parquet(columns: readonly string[], rows: readonly (readonly (string | null)[])[]): Uint8Array {
  const columnData: ColumnSource[] = columns.map((name, i) => ({
    name,
    data: rows.map((row) => row[i] ?? null),
    type: 'STRING',
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData, createdBy: WRITER }));
}

export function examplesParquet(
  examples: readonly {
    system: string;
    question: string;
    sql: string;
    category: string | undefined;
    goldFrom: string | undefined;
    group: string;
  }[],
): Uint8Array {
  return parquet(
    EXAMPLE_COLUMNS,
    examples.map((e) => [e.system, e.question, e.sql, e.category ?? null, e.goldFrom ?? null, e.group]),
  );
}

export function pairsParquet(
  pairs: readonly {
    system: string;
    question: string;
    chosen: string;
    rejected: string;
    rule: string;
    group: string;
  }[],
): Uint8Array {
  return parquet(
    PAIR_COLUMNS,
    pairs.map((p) => [p.system, p.question, p.chosen, p.rejected, p.rule, p.group]),
  );
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
