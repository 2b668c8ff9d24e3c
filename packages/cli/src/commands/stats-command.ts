import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { openTableReader, STORE_OPTION_HELP } from '@aitdr/exporter';
import { collectStats } from '../stats/collect-stats.js';
import type { TokenPrice } from '../stats/collect-stats.js';
import { renderStatsHtml } from '../stats/render-html.js';
import { renderStatsText } from '../stats/render-text.js';
import { displayPath } from '../terminal/text-table.js';
import type { CommandIo } from './command-io.js';
import { newProgram, parse, runProgram } from './command-io.js';
import { dateParser, periodOrder } from './date-options.js';
import { DEFAULT_STATS_HTML, DEFAULT_STORE } from './defaults.js';

interface StatsCommandOptions {
  store: string;
  html: string | false;
  from?: Date;
  to?: Date;
  database?: string;
  price?: Record<string, TokenPrice>;
}

/** `MODEL=PRICE` or `MODEL=INPUT/OUTPUT`, per 1,000 tokens; repeatable. */
function price(value: string, previous: Record<string, TokenPrice> | undefined): Record<string, TokenPrice> {
  const match = /^(.+)=(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?$/.exec(value.trim());
  if (match === null) {
    throw new InvalidArgumentError(
      'expected MODEL=PRICE or MODEL=INPUT/OUTPUT, per 1,000 tokens (gpt-4o=0.0025/0.01)',
    );
  }
  const input = Number(match[2]);
  return {
    ...previous,
    [match[1]!.trim()]: { input, output: match[3] === undefined ? input : Number(match[3]) },
  };
}

/** A SQLite database file (or `sqlite:<file>`) that exists; opened read-only later. */
function database(value: string): string {
  const file = value.startsWith('sqlite:') ? value.slice('sqlite:'.length) : value;
  if (/^[a-z]+:\/\//i.test(value)) {
    throw new InvalidArgumentError(
      'expected a SQLite database file (sqlite:<file>); other databases are not supported yet',
    );
  }
  if (!existsSync(file)) throw new InvalidArgumentError(`no such file: ${file}`);
  return file;
}

/** `aitdr-stats`: the stats report, as tables on the terminal and as a self-contained HTML file. */
export async function runStatsCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-stats', io)
    .description(
      'Reports on the recorded queries: queries over time, API vs local selection, success per source, ' +
        'latency, token lengths and cost per model, fallback and validation failure reasons, feedback, ' +
        'API/local agreement, training examples, local model readiness and quality over time. ' +
        'Rates show n and the 95% Wilson interval.',
    )
    .option('--store <url>', STORE_OPTION_HELP, parse.store, DEFAULT_STORE)
    .option('--html <file>', 'also write the report with charts as one HTML file', DEFAULT_STATS_HTML)
    .option('--no-html', 'only the terminal tables')
    .option('--from <date>', 'only queries asked on or after this day (UTC) or time', dateParser(false))
    .option(
      '--to <date>',
      'only queries asked up to this day (included, UTC) or before this time',
      dateParser(true),
    )
    .option(
      '--database <file>',
      'a SQLite database (opened read-only) to run gold and model SQL on: readiness by result',
      database,
    )
    .option(
      '--price <model=price>',
      'price per 1,000 tokens of a model: MODEL=PRICE or MODEL=INPUT/OUTPUT (repeatable)',
      price,
    );

  return runProgram(program, argv, io, async () => {
    const options = program.opts<StatsCommandOptions>();
    periodOrder(options.from, options.to);
    // A SQLite store is read on threads of their own: the report's code runs while SQLite reads
    // the next rows, and the sections counted in SQL alone run alongside the rest.
    const reader = await openTableReader(options.store, { ownThread: true });
    let report;
    try {
      const aggregates = await openTableReader(options.store, { ownThread: true });
      try {
        report = await collectStats(reader, {
          aggregates,
          period: {
            ...(options.from === undefined ? {} : { from: options.from }),
            ...(options.to === undefined ? {} : { until: options.to }),
          },
          ...(options.database === undefined ? {} : { database: options.database }),
          ...(options.price === undefined ? {} : { prices: options.price }),
        });
      } finally {
        await aggregates.close();
      }
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
