export { runDemoCommand } from './commands/demo-command.js';
export { runDemo } from './demo/run-demo.js';
export type { DemoOptions, DemoResult, DemoTransport } from './demo/run-demo.js';
export { renderDemoSummary } from './demo/demo-summary.js';
export { answerWithRecording } from './demo/instrumented-pipeline.js';
export type { DemoAnswer } from './demo/instrumented-pipeline.js';
export { SimulatedClock, RealClock } from './demo/demo-clock.js';
export type { DemoClock } from './demo/demo-clock.js';
export type { CommandIo } from './commands/command-io.js';
export { runExportCommand } from './commands/export-command.js';
export { exportDataset, collectDataset, EXPORT_FILES } from './export/export-dataset.js';
export type {
  ExportOptions,
  ExportFilters,
  ExportManifest,
  ExportFileRole,
  FileEntry,
  CollectedDataset,
  DatasetOptions,
} from './export/export-dataset.js';
export {
  goldSqlOf,
  schemaContextOf,
  correctionPairOf,
  disagreementPairOf,
  normalizeQuestion,
  splitOf,
  textKey,
  DEFAULT_GOLD_RULES,
  GOLD_SOURCES,
  MISSING_SCHEMA_MODES,
  RULES_VERSION,
  SKIP_REASON_LABELS,
} from './export/export-rules.js';
export type {
  GoldRules,
  GoldSource,
  GoldSql,
  SkipReason,
  MissingSchemaMode,
  PreferencePair,
  PairRule,
  ModelAnswer,
} from './export/export-rules.js';
export { assignGroups, checkLeakage, LeakageError } from './export/intent-groups.js';
export type { GroupedItem, LeakageCheck, Split } from './export/intent-groups.js';
export {
  formatExample,
  formatOpenAiPreference,
  formatPromptChosenRejected,
  systemMessage,
  defaultInstructions,
  EXAMPLE_FORMATS,
} from './export/example-formats.js';
export type { ExampleFormat, TrainingExample, PreferenceExample } from './export/example-formats.js';
export { EXAMPLE_COLUMNS, PAIR_COLUMNS } from './export/dataset-files.js';
export { runStatsCommand } from './commands/stats-command.js';
export { runDeadLettersCommand } from './commands/dead-letters-command.js';
export { runSchemaCommand } from './commands/schema-command.js';
export { runDeleteCommand } from './commands/delete-command.js';
export { collectStats, percentile } from './stats/collect-stats.js';
export type {
  StatsReport,
  StatsOptions,
  SourceOutcome,
  ModelUsage,
  TokenPrice,
  TrainingSummary,
} from './stats/collect-stats.js';
export { collectReadiness, isoWeek } from './stats/readiness.js';
export type { Readiness, ReadinessCell } from './stats/readiness.js';
export { wilsonInterval, formatRate } from './stats/rates.js';
export type { Rate } from './stats/rates.js';
export type { StatsPeriod } from './stats/period.js';
export { renderStatsText } from './stats/render-text.js';
export { renderStatsHtml, chartSpecs } from './stats/render-html.js';
