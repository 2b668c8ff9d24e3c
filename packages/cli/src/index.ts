export { runDemoCommand } from './commands/demo-command.js';
export { runDemo } from './demo/run-demo.js';
export type { DemoOptions, DemoResult, DemoTransport } from './demo/run-demo.js';
export { renderDemoSummary } from './demo/demo-summary.js';
export { answerWithRecording } from './demo/instrumented-pipeline.js';
export type { DemoAnswer } from './demo/instrumented-pipeline.js';
export { SimulatedClock, RealClock } from './demo/demo-clock.js';
export type { DemoClock } from './demo/demo-clock.js';
export type { CommandIo } from './commands/command-io.js';
