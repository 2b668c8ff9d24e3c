import { STORE_OPTION_HELP } from '@aitdr/exporter';
import { InvalidArgumentError, Option } from 'commander';
import { EXAMPLE_FORMATS } from '../export/example-formats.js';
import type { ExampleFormat } from '../export/example-formats.js';
import { EXPORT_FILES, exportDataset } from '../export/export-dataset.js';
import type { ExportManifest } from '../export/export-dataset.js';
import {
  DEFAULT_GOLD_RULES,
  GOLD_SOURCES,
  MISSING_SCHEMA_MODES,
  SKIP_REASON_LABELS,
} from '../export/export-rules.js';
import type { GoldSource, MissingSchemaMode } from '../export/export-rules.js';
import { createProgress } from '../terminal/progress.js';
import { displayPath } from '../terminal/text-table.js';
import type { CommandIo } from './command-io.js';
import { newProgram, parse, runProgram } from './command-io.js';
import { dateParser, periodOrder } from './date-options.js';
import { DEFAULT_EXPORT_DIRECTORY, DEFAULT_SEED, DEFAULT_STORE } from './defaults.js';
import { join, resolve } from 'node:path';

interface ExportCommandOptions {
  store: string;
  out: string;
  format: ExampleFormat;
  from?: Date;
  to?: Date;
  source?: 'api' | 'local';
  minRating?: number;
  category?: string[];
  gold: GoldSource[];
  negativeRating: number;
  requireFeedback?: boolean;
  missingSchema: MissingSchemaMode;
  dedupe: boolean;
  validationRatio: number;
  seed: string;
  instructions?: string;
}

function integerBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

function ratio(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number >= 1) {
    throw new InvalidArgumentError('expected a number from 0 up to (not including) 1, such as 0.1');
  }
  return number;
}

/** Comma-separated, and the option may be repeated. */
function names(value: string, previous: string[] | undefined): string[] {
  const given = value.split(',').map((name) => name.trim());
  if (given.some((name) => name === '')) throw new InvalidArgumentError('expected names separated by commas');
  return [...(previous ?? []), ...given];
}

function goldSources(value: string): GoldSource[] {
  const given = value.split(',').map((name) => name.trim());
  const unknown = given.filter((name) => !(GOLD_SOURCES as readonly string[]).includes(name));
  if (unknown.length > 0 || given.length === 0) {
    throw new InvalidArgumentError(`expected ${GOLD_SOURCES.join(', ')} or both, separated by a comma`);
  }
  return GOLD_SOURCES.filter((source) => given.includes(source));
}

/** `aitdr-export`: writes the fine-tuning dataset as JSON Lines with a manifest. */
export async function runExportCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-export', io)
    .description(
      'Writes the recorded queries as fine-tuning data: SFT examples (train/validation.jsonl), preference pairs ' +
        '(preference-*.jsonl for OpenAI, dpo-*.jsonl for TRL), the same as Parquet with a dataset card (README.md), ' +
        'and manifest.json (dataset ID, SHA-256 of each file, counts, rules). ' +
        "The gold SQL is the user's corrected SQL when there is one, else the SQL of the model whose answer ran, " +
        'when it executed successfully and the feedback is not negative. The split is by intent, with a leakage check.',
    )
    .option('--store <url>', STORE_OPTION_HELP, parse.store, DEFAULT_STORE)
    .option('--out <dir>', 'directory for the files', DEFAULT_EXPORT_DIRECTORY)
    .addOption(
      new Option('--format <format>', 'chat: OpenAI chat messages; completion: {prompt, completion}')
        .choices(EXAMPLE_FORMATS)
        .default('chat'),
    )
    .option('--from <date>', 'only queries asked on or after this day (UTC) or time', dateParser(false))
    .option(
      '--to <date>',
      'only queries asked up to this day (included, UTC) or before this time',
      dateParser(true),
    )
    .addOption(
      new Option('--source <source>', 'only answers of this model (the one whose SQL ran)').choices([
        'api',
        'local',
      ]),
    )
    .option(
      '--min-rating <rating>',
      'only queries whose latest feedback rated them at least this (1-5)',
      integerBetween(1, 5),
    )
    .option('--category <names>', 'only these classification categories (comma-separated, repeatable)', names)
    .option(
      '--gold <sources>',
      'where gold SQL may come from: corrected (the user’s corrected SQL), model (the answer that ran), or both',
      goldSources,
      [...DEFAULT_GOLD_RULES.gold],
    )
    .option(
      '--negative-rating <rating>',
      'feedback rated at or below this is negative, as is "not correct" (0 to 5)',
      integerBetween(0, 5),
      DEFAULT_GOLD_RULES.negativeRating,
    )
    .option(
      '--require-feedback',
      'model SQL only with feedback that is not negative (not without any feedback)',
    )
    .addOption(
      new Option(
        '--missing-schema <mode>',
        'queries recorded without schema context: skip them, or write a prompt that names no schema',
      )
        .choices(MISSING_SCHEMA_MODES)
        .default('skip'),
    )
    .option('--no-dedupe', 'keep every example, not one per normalised question')
    .option(
      '--validation-ratio <ratio>',
      'share of intents (question or gold SQL groups) in validation',
      ratio,
      0.1,
    )
    .option('--seed <seed>', 'seed of the train/validation split', String(DEFAULT_SEED))
    .option(
      '--instructions <text>',
      'system instructions before the schema (default: asks for one read-only query)',
    );

  return runProgram(program, argv, io, async () => {
    const options = program.opts<ExportCommandOptions>();
    periodOrder(options.from, options.to);
    const manifest = await exportDataset({
      store: options.store,
      outDirectory: options.out,
      format: options.format,
      rules: {
        gold: options.gold,
        negativeRating: options.negativeRating,
        requireFeedback: options.requireFeedback === true,
      },
      missingSchema: options.missingSchema,
      filters: {
        ...(options.from === undefined ? {} : { from: options.from }),
        ...(options.to === undefined ? {} : { until: options.to }),
        ...(options.source === undefined ? {} : { source: options.source }),
        ...(options.minRating === undefined ? {} : { minRating: options.minRating }),
        ...(options.category === undefined ? {} : { categories: options.category }),
      },
      dedupe: options.dedupe,
      validationRatio: options.validationRatio,
      seed: options.seed,
      ...(options.instructions === undefined ? {} : { instructions: options.instructions }),
      ...withProgress(createProgress(io.stderr, 'Exporting', 'queries')),
    });
    io.stdout.write(renderExportSummary(manifest, resolve(options.out)));
  });
}

function withProgress<T>(progress: T | undefined): { progress?: T } {
  return progress === undefined ? {} : { progress };
}

function renderExportSummary(manifest: ExportManifest, directory: string): string {
  const { counts } = manifest;
  const file = (name: string) => displayPath(join(directory, name));
  const skipped = Object.entries(counts.skipped)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${SKIP_REASON_LABELS[reason as keyof typeof SKIP_REASON_LABELS]}`);
  const gold = counts.goldFrom;
  const pairs = counts.preference;
  const row = (label: string, rows: number | string, name: string) =>
    `  ${label.padEnd(22)}${String(rows).padStart(6)}  ${file(name)}`;
  return [
    `Exported ${counts.examples} examples in ${counts.groups.total} intents (${manifest.format} format) ` +
      `and ${pairs.pairs} preference pairs from ${manifest.store}: ` +
      `${counts.matched} of ${counts.queries} queries matched the filters.`,
    `Dataset ${manifest.datasetId}; leakage check: ${counts.leakage.sharedGoldSql} gold SQL and ` +
      `${counts.leakage.sharedQuestions} questions in both splits.`,
    row('train', counts.train, EXPORT_FILES.train),
    row('validation', counts.validation, EXPORT_FILES.validation),
    row('preference train', pairs.train, EXPORT_FILES.preferenceTrain),
    row('preference validation', pairs.validation, EXPORT_FILES.preferenceValidation),
    `  (the same pairs for TRL: ${EXPORT_FILES.dpoTrain}, ${EXPORT_FILES.dpoValidation}; ` +
      `all four as Parquet; dataset card ${EXPORT_FILES.card})`,
    row('manifest', '', EXPORT_FILES.manifest),
    `Gold SQL: ${gold.userCorrection} corrected by users, ${gold.apiModel} from the API model, ${gold.localModel} from the local model` +
      (gold.modelOfUnknownSource > 0 ? `, ${gold.modelOfUnknownSource} from a model of unknown source` : '') +
      '.',
    `Pairs: ${pairs.byRule.userCorrection} user corrections, ${pairs.byRule.modelDisagreement} API/local disagreements.`,
    `Skipped: ${skipped.length === 0 ? 'none' : skipped.join(', ')}.`,
    '',
  ].join('\n');
}
