#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The SQL parser the export compares SQL with is WebAssembly. V8 recompiles its hot functions with
// its optimising compiler on background threads, whose memory stays with the process: the
// export's peak RSS was ~65 MiB higher for it, and its baseline code parsed no slower. Set before
// the parser is compiled (a flag read at compile time), so the command is imported after it.
setFlagsFromString('--liftoff-only');
const { runExportCommand } = await import('../commands/export-command.js');

process.exitCode = await runExportCommand(process.argv.slice(2), process);
