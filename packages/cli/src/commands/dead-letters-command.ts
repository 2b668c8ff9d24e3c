import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTableExporter, readDeadLetters, STORE_OPTION_HELP } from '@aitdr/exporter';
import type { DeadLetter } from '@aitdr/exporter';
import { displayPath, textTable } from '../terminal/text-table.js';
import type { CommandIo } from './command-io.js';
import { EXIT_FAILED, newProgram, parse, runProgram } from './command-io.js';
import { DEFAULT_STORE, defaultDeadLetterStateDirectories } from './defaults.js';

interface DeadLettersCommandOptions {
  store: string;
  stateDir?: string;
  replay: boolean;
  trace?: string[];
}

/** Longest reason shown in the list; the file has the whole text. */
const REASON_WIDTH = 100;

const traceIdOption = (value: string, previous: string[] = []): string[] => [
  ...previous,
  parse.traceId('a trace ID')(value),
];

function listLetters(letters: readonly DeadLetter[]): string {
  return textTable(
    ['dead-lettered at', 'trace ID', 'spans', 'reason'],
    letters.map((letter) => [
      letter.deadLetteredAt,
      letter.traceId,
      letter.spans.length,
      letter.reason.length > REASON_WIDTH ? `${letter.reason.slice(0, REASON_WIDTH - 1)}…` : letter.reason,
    ]),
  );
}

/**
 * `aitdr-dead-letters`: lists the traces a store refused or that waited too long for their query,
 * and replays them once the cause is fixed. Replay writes through the table exporter with the
 * same state directory, so run it while the process that owns that directory is stopped.
 */
export async function runDeadLettersCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const program = newProgram('aitdr-dead-letters', io)
    .description(
      'Lists the dead letters (traces the store refused for their data, or feedback whose query never came) ' +
        'and, with --replay, writes them again: those the store now takes are removed from the file.',
    )
    .option('--store <url>', STORE_OPTION_HELP, parse.store, DEFAULT_STORE)
    .option(
      '--state-dir <dir>',
      "the exporter's state directory (a collector's is <its state dir>/store); default: each of the store's " +
        "default ones that exists (the demo's collector's and in-process exporter's, a collector's)",
    )
    .option('--trace <id>', 'only this trace (repeatable)', traceIdOption)
    .option('--replay', 'write the dead letters to the store again', false);

  return runProgram(program, argv, io, async () => {
    const options = program.opts<DeadLettersCommandOptions>();
    const only = options.trace ? new Set(options.trace) : undefined;
    const candidates =
      options.stateDir === undefined
        ? defaultDeadLetterStateDirectories(options.store).filter((d) => existsSync(d))
        : [options.stateDir];
    if (candidates.length === 0) {
      const searched = defaultDeadLetterStateDirectories(options.store).map((d) => displayPath(resolve(d)));
      io.stdout.write(`no dead letters: none of ${searched.join(', ')} exists\n`);
      return;
    }
    let failed = false;
    for (const candidate of candidates) {
      if (!(await handleStateDirectory(resolve(candidate), options, only, io))) failed = true;
    }
    return failed ? EXIT_FAILED : undefined;
  });
}

/** Lists or replays the dead letters of one state directory; false when a replayed trace was not stored. */
async function handleStateDirectory(
  stateDirectory: string,
  options: DeadLettersCommandOptions,
  only: ReadonlySet<string> | undefined,
  io: CommandIo,
): Promise<boolean> {
  const directory = join(stateDirectory, 'dead-letter');
  const chosen = (await readDeadLetters(directory)).filter(
    (letter) => only === undefined || only.has(letter.traceId),
  );
  if (!options.replay) {
    io.stdout.write(
      chosen.length === 0
        ? `no dead letters in ${displayPath(directory)}\n`
        : `${listLetters(chosen)}\n${chosen.length} dead letter(s) in ${displayPath(directory)}\n`,
    );
    return true;
  }
  if (chosen.length === 0) {
    io.stdout.write(`nothing to replay in ${displayPath(directory)}\n`);
    return true;
  }
  const exporter = createTableExporter({ store: options.store, stateDirectory });
  let replay;
  try {
    replay = await exporter.replayDeadLetters(only);
  } finally {
    await exporter.shutdown();
  }
  io.stdout.write(
    `replayed ${replay.replayed}: committed ${replay.committed}, refused again ${replay.deadLettered}, ` +
      `parked ${replay.parked}, spooled ${replay.spooled}, left ${replay.left}; ` +
      `${replay.remaining.length} dead letter(s) remain in ${displayPath(directory)}\n`,
  );
  if (replay.committed < replay.replayed) {
    io.stderr.write(
      `aitdr-dead-letters: ${replay.replayed - replay.committed} of ${replay.replayed} trace(s) were not stored; ` +
        `see their reasons with aitdr-dead-letters --state-dir ${displayPath(stateDirectory)}\n`,
    );
    return false;
  }
  return true;
}
