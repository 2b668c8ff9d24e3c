/**
 * Run as its own process: a program whose only work is one committed write while the store is
 * down (nothing listens on port 1), with no server or timer of its own keeping it alive. Prints
 * how the write ended and the spool's trace count as one JSON line.
 */
import { RecordingError } from '@aitdr/conventions';
import { TableExporter } from '@aitdr/exporter';
import { recordPipeline } from './traces.js';
import { toSpanRecord } from '@aitdr/conventions';

const exporter = new TableExporter({
  store: 'postgres://postgres@127.0.0.1:1/nowhere',
  stateDirectory: process.argv[2]!,
  retry: { retries: 3, minDelayMs: 50, maxDelayMs: 100 },
});
let outcome: string;
try {
  await exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' });
  outcome = 'committed';
} catch (error) {
  outcome = error instanceof RecordingError ? error.code : String(error);
}
await exporter.shutdown();
console.log(JSON.stringify({ outcome, spooled: exporter.status().spool.traces }));
