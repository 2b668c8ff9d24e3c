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
export { exportDataset, EXPORT_FILES } from './export/export-dataset.js';
export type { ExportOptions, ExportFilters, ExportManifest } from './export/export-dataset.js';
export {
  goldSqlOf,
  normalizeQuestion,
  splitOf,
  DEFAULT_GOLD_RULES,
  GOLD_SOURCES,
} from './export/export-rules.js';
export type { GoldRules, GoldSource, GoldSql, SkipReason } from './export/export-rules.js';
export {
  formatExample,
  systemMessage,
  defaultInstructions,
  EXAMPLE_FORMATS,
} from './export/example-formats.js';
export type { ExampleFormat, TrainingExample } from './export/example-formats.js';
export { runStatsCommand } from './commands/stats-command.js';
export { runDeadLettersCommand } from './commands/dead-letters-command.js';
export { runSchemaCommand } from './commands/schema-command.js';
export { runDeleteCommand } from './commands/delete-command.js';
export { collectStats, percentile } from './stats/collect-stats.js';
export type { StatsReport, SourceOutcome, ModelUsage } from './stats/collect-stats.js';
export { renderStatsText } from './stats/render-text.js';
export { renderStatsHtml, chartSpecs } from './stats/render-html.js';
