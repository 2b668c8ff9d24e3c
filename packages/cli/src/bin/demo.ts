#!/usr/bin/env node
import { runDemoCommand } from '../commands/demo-command.js';

// The first Ctrl-C stops asking questions: the run shuts down cleanly and reports what it
// recorded. A second one ends the process as usual.
const interrupted = new AbortController();
const stop = () => {
  process.stderr.write('\nStopping: finishing the current question, then writing what was recorded…\n');
  interrupted.abort();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

process.exitCode = await runDemoCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupted.signal,
});
