#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The SQL parser the export compares SQL with is WebAssembly. V8 recompiles its hot functions with
// its optimising compiler on background threads, whose memory stays with the process: the
// export's peak RSS was ~65 MiB higher for it, and its baseline code parsed no slower. Set before
// the parser is compiled (a flag read at compile time), so the command is imported after it.
setFlagsFromString('--liftoff-only');
// V8 lets the old generation grow to about four times what the last full collection kept before
// it collects again. The export promotes much short-lived text (rows held for a Parquet row group
// or across a write), so its peak RSS was mostly garbage (a heap of ~160 MiB for ~55 MiB alive).
// Growing by half keeps the peak near what is alive, for a few more full collections of a small heap.
setFlagsFromString('--heap-growing-percent=50');
const { runExportCommand } = await import('../commands/export-command.js');

process.exitCode = await runExportCommand(process.argv.slice(2), process);
