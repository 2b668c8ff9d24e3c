import { STORE_OPTION_HELP } from '@aitdr/exporter';
import { existsSync } from 'node:fs';
import { Option } from 'commander';
import { DEFAULT_JAEGER_URL } from '@aitdr/sdk';
import { renderDemoSummary } from '../demo/demo-summary.js';
import { runDemo } from '../demo/run-demo.js';
import type { DemoTransport } from '../demo/run-demo.js';
import { createProgress } from '../terminal/progress.js';
import type { CommandIo } from './command-io.js';
import { EXIT_INTERRUPTED, EXIT_OK, newProgram, parse, runProgram, UsageError } from './command-io.js';
import {
  DEFAULT_SAMPLE_DATABASE,
  DEFAULT_SEED,
  DEFAULT_STATE_ROOT,
  DEFAULT_STORE,
  demoStateDirectory,
  LEGACY_STATE_DIRECTORIES,
} from './defaults.js';

interface DemoCommandOptions {
  queries: number;
  seed: string;
  store: string;
  sampleDb: string;
  days: number;
  inProcess?: boolean;
  collectorUrl?: string;
  jaeger?: string | true;
  realTime?: boolean;
  stateDir?: string;
}

/** `aitdr-demo`: records the instrumented demo pipeline and prints what it stored. */
export async function runDemoCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-demo', io)
    .description(
      'Runs the demo text-to-SQL pipeline (stand-in models, a real sample database) instrumented with the SDK, ' +
        'sends every stage as OpenTelemetry spans through the collector, and prints what was stored.',
    )
    .option('-n, --queries <count>', 'questions to ask', parse.positiveInteger, 300)
    .option(
      '--seed <seed>',
      'seed of the sample database, the questions and the models',
      String(DEFAULT_SEED),
    )
    .option('--store <url>', STORE_OPTION_HELP, parse.store, DEFAULT_STORE)
    .option(
      '--sample-db <file>',
      'the sample manufacturing database (recreated from the seed)',
      DEFAULT_SAMPLE_DATABASE,
    )
    .option(
      '--days <count>',
      'days of (simulated) history the questions spread over',
      parse.positiveInteger,
      14,
    )
    .addOption(
      new Option('--in-process', 'no OTLP: the SDK hands traces to the table exporter in this process'),
    )
    .addOption(
      new Option(
        '--collector-url <url>',
        'send OTLP/HTTP to this collector (…/v1/traces) instead of starting one',
      )
        .argParser(parse.httpUrl)
        .conflicts('inProcess'),
    )
    .option('--jaeger [url]', `also send every span to Jaeger (default ${DEFAULT_JAEGER_URL})`)
    .option('--real-time', 'wait out the models’ latencies and record at the real time (slow)')
    .option(
      '--state-dir <dir>',
      `where the exporter or the collector keeps its spool and dead letters (default ${DEFAULT_STATE_ROOT}/<dialect>-<hash of the store>, one per store)`,
    );

  return runProgram(program, argv, io, async () => {
    const options = program.opts<DemoCommandOptions>();
    const transport: DemoTransport = options.inProcess
      ? { kind: 'in-process' }
      : options.collectorUrl !== undefined
        ? { kind: 'external-collector', url: options.collectorUrl }
        : { kind: 'collector' };
    const jaegerUrl = options.jaeger === true ? DEFAULT_JAEGER_URL : options.jaeger;
    if (jaegerUrl !== undefined) parseJaegerUrl(jaegerUrl);
    if (options.stateDir === undefined) {
      // An earlier version kept one state directory for every store; what it holds is not lost.
      for (const legacy of LEGACY_STATE_DIRECTORIES.filter((d) => existsSync(d))) {
        io.stderr.write(
          `aitdr-demo: an earlier version's state is in ${legacy} (today each store has its own); ` +
            `aitdr-dead-letters still lists its dead letters\n`,
        );
      }
    }
    const progress = createProgress(io.stderr, 'Recording', 'questions');
    const result = await runDemo({
      queries: options.queries,
      seed: options.seed,
      store: options.store,
      sampleDatabase: options.sampleDb,
      days: options.days,
      transport,
      ...(jaegerUrl === undefined ? {} : { jaegerUrl }),
      realTime: options.realTime === true,
      stateDirectory: options.stateDir ?? demoStateDirectory(options.store),
      ...(progress === undefined ? {} : { progress }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    io.stdout.write(renderDemoSummary(result));
    if (result.questions < result.planned) return EXIT_INTERRUPTED;
    // The summary says what was sent; a store that cannot be read back is a failed run.
    if (result.storedAfter instanceof Error) throw result.storedAfter;
    return EXIT_OK;
  });
}

function parseJaegerUrl(url: string): void {
  try {
    parse.httpUrl(url);
  } catch (error) {
    throw new UsageError(`option '--jaeger [url]' argument '${url}' is invalid. ${(error as Error).message}`);
  }
}
