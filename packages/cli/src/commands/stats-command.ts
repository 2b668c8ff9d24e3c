import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { openTableReader } from '@aitdr/exporter';
import { collectStats } from '../stats/collect-stats.js';
import { renderStatsHtml } from '../stats/render-html.js';
import { renderStatsText } from '../stats/render-text.js';
import { displayPath } from '../terminal/text-table.js';
import type { CommandIo } from './command-io.js';
import { newProgram, parse, runProgram } from './command-io.js';
import { DEFAULT_STATS_HTML, DEFAULT_STORE } from './defaults.js';

interface StatsCommandOptions {
  store: string;
  html: string | false;
}

/** `aitdr-stats`: the stats report, as tables on the terminal and as a self-contained HTML file. */
export async function runStatsCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-stats', io)
    .description(
      'Reports on the recorded queries: queries over time, API vs local selection, success per source, ' +
        'latency and tokens per model, fallback and validation failure reasons, feedback, and API/local agreement.',
    )
    .option(
      '--store <url>',
      'the store to read: sqlite:<file>, postgres://…, oracle://…',
      parse.store,
      DEFAULT_STORE,
    )
    .option('--html <file>', 'also write the report with charts as one HTML file', DEFAULT_STATS_HTML)
    .option('--no-html', 'only the terminal tables');

  return runProgram(program, argv, io, async () => {
    const options = program.opts<StatsCommandOptions>();
    const reader = await openTableReader(options.store);
    let report;
    try {
      report = await collectStats(reader);
    } finally {
      await reader.close();
    }
    io.stdout.write(renderStatsText(report));
    if (options.html !== false) {
      const file = resolve(options.html);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, renderStatsHtml(report));
      io.stdout.write(`\nHTML report with charts: ${displayPath(file)}\n`);
    }
  });
}
