#!/usr/bin/env node
/** The `aitdr-collector` bin: the command on this process's arguments, environment and signals. */
import { startCollectorCommand } from './collector-command.js';

const run = await startCollectorCommand(process.argv.slice(2), process.env, process);
if (typeof run === 'number') process.exit(run);
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => void run.stop(signal).then((code) => process.exit(code)));
