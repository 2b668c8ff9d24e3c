#!/usr/bin/env node
/** The `aitdr-collector` bin: the command on this process's arguments, environment and signals. */
import { startCollectorCommand } from './collector-command.js';
import type { CollectorCommandHandle } from './collector-command.js';

// Listening before the start: a signal arriving once "collector started" is logged, before the
// handle is back, must still shut down cleanly rather than kill the process by default action.
const started: { handle?: CollectorCommandHandle } = {};
const early: NodeJS.Signals[] = [];
const onSignal = (signal: NodeJS.Signals) => {
  if (started.handle === undefined) early.push(signal);
  else void started.handle.stop(signal).then((code) => process.exit(code));
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

const run = await startCollectorCommand(process.argv.slice(2), process.env, process);
if (typeof run === 'number') process.exit(run);
started.handle = run;
for (const signal of early.splice(0)) onSignal(signal);
