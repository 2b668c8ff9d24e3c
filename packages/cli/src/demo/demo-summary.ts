import type { ForwardingStatus } from '@aitdr/collector';
import { TABLES } from '@aitdr/schema';
import { DEFAULT_STORE, ROOT_SCRIPTS } from '../commands/defaults.js';
import { displayPath, percent, textTable } from '../terminal/text-table.js';
import type { DemoResult } from './run-demo.js';

/** What the demo prints when it is done: what it sent and what the store holds, and what to run next. */
export function renderDemoSummary(result: DemoResult): string {
  const lines: string[] = [];
  const stopped = result.questions < result.planned ? ` (stopped: ${result.planned} were planned)` : '';
  lines.push(
    `Recorded ${result.questions} questions${stopped} in ${result.seconds.toFixed(1)} s, sent to ${result.destination}.`,
    'The "API model" and the "local model" are stand-ins (api-model-stand-in, local-model-stand-in), not real models.',
    '',
  );

  const before = result.storedBefore instanceof Error ? new Map<string, number>() : result.storedBefore;
  if (result.storedAfter instanceof Error) {
    lines.push(
      textTable(
        ['Table', 'Rows sent'],
        TABLES.map((t) => [t.name, result.sent.get(t.name) ?? 0]),
      ),
      `Could not read the store back: ${result.storedAfter.message}`,
    );
  } else {
    const after = result.storedAfter;
    lines.push(
      textTable(
        ['Table', 'Rows sent', 'Rows added', 'Rows stored'],
        TABLES.map((t) => {
          const added = (after.get(t.name) ?? 0) - (before.get(t.name) ?? 0);
          return [t.name, result.sent.get(t.name) ?? 0, added, after.get(t.name) ?? 0];
        }),
      ),
    );
    const missing = TABLES.filter(
      (t) => (after.get(t.name) ?? 0) - (before.get(t.name) ?? 0) < (result.sent.get(t.name) ?? 0),
    );
    if (missing.length > 0) {
      lines.push(
        `Not all rows sent are stored yet (${missing.map((t) => t.name).join(', ')}): ` +
          'a collector writes after a short wait, and traces the store refused are kept as dead letters.',
      );
    }
  }
  if (result.unsettled === true) {
    lines.push(
      'The collector was still storing rows when the wait for it ended: run the stats later to see them.',
    );
  }
  if (result.jaeger !== undefined) lines.push(jaegerLine(result.jaeger));
  const counters = result.recorderStatus.writer?.counters;
  const problems = [
    ['spooled while the store was down', counters?.spooled ?? 0],
    ['dead-lettered', counters?.deadLettered ?? 0],
    ['dropped', (counters?.dropped ?? 0) + result.recorderStatus.processor.spansDropped],
  ].filter(([, count]) => Number(count) > 0);
  for (const [what, count] of problems) lines.push(`Traces ${String(what)}: ${String(count)}`);
  if ((counters?.deadLettered ?? 0) > 0) {
    lines.push(`  (list and replay dead letters: ${ROOT_SCRIPTS.deadLetters} -- --help)`);
  }

  lines.push(
    '',
    `Answered: ${result.answered} of ${result.questions} (${percent(result.answered, result.questions)})` +
      ` · fallbacks on ${result.withFallback} questions (${percent(result.withFallback, result.questions)})` +
      ` · feedback on ${result.feedback} (${result.correctedSql} with corrected SQL)`,
    '',
    `Training data:   ${result.storeFile === undefined ? result.store : `${displayPath(result.storeFile)} (${result.store})`}`,
    `Sample database: ${displayPath(result.sampleDatabase)}`,
    '',
    'Next:',
    ...nextCommands([
      [
        `${ROOT_SCRIPTS.export}${storeArgument(result)}`,
        'fine-tuning data: SFT and preference JSON Lines, Parquet, a dataset card, a manifest',
      ],
      [
        `${ROOT_SCRIPTS.stats}${storeArgument(result)}`,
        'the stats report, in the terminal and as an HTML file',
      ],
    ]),
    '',
  );
  return lines.join('\n');
}

function nextCommands(commands: readonly (readonly [command: string, what: string])[]): string[] {
  const width = Math.max(...commands.map(([command]) => command.length));
  return commands.map(([command, what]) => `  ${command.padEnd(width)}   ${what}`);
}

/** The store is named only when it is not the commands' default. */
function storeArgument(result: DemoResult): string {
  return result.store === DEFAULT_STORE ? '' : ` -- --store '${result.store}'`;
}

/** How many requests reached Jaeger, and why the others did not. */
function jaegerLine(jaeger: ForwardingStatus): string {
  const total = jaeger.forwarded + jaeger.failed + jaeger.skipped;
  const reasons = [
    ...(jaeger.failed > 0 ? [`${jaeger.failed} failed (${jaeger.lastFailure ?? 'no reason given'})`] : []),
    ...(jaeger.skipped > 0 ? [`${jaeger.skipped} skipped while too many were under way`] : []),
  ];
  return (
    `Jaeger (${jaeger.url}): ${jaeger.forwarded} of ${total} requests forwarded` +
    (reasons.length > 0 ? `; ${reasons.join(', ')}. Is Jaeger running there?` : '.')
  );
}
