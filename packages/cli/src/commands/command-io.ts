/**
 * What the commands share: where they write, exit codes, and how a failure becomes one line
 * on stderr. The commands are functions of their arguments and streams, so tests run them
 * in-process and see exactly what a user sees.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseStoreUrl } from '@aitdr/exporter';
import type { TerminalStream } from '../terminal/progress.js';

export interface CommandIo {
  readonly stdout: TerminalStream;
  readonly stderr: TerminalStream;
  /** Aborted when the user interrupts (Ctrl-C); a command that can stop early watches it. */
  readonly signal?: AbortSignal;
}

/** Exit code of a run the user interrupted (128 + SIGINT), after it stopped cleanly. */
export const EXIT_INTERRUPTED = 130;

export const EXIT_OK = 0;
/** The command ran and failed: the store could not be read, a file could not be written. */
export const EXIT_FAILED = 1;
/** The command was given bad input: an unknown option, a value that does not parse. */
const EXIT_USAGE = 2;

/** Bad input found after parsing (an option that contradicts another): exit code 2. */
export class UsageError extends Error {}

/** A commander program writing to `io`, its errors as `name: message` on one line, never exiting the process. */
export function newProgram(name: string, io: CommandIo): Command {
  return new Command(name)
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, `${name}: `)),
    });
}

/**
 * Parses `argv` (the arguments after the script; a leading `--`, which `pnpm run x -- …` passes
 * on, is dropped) and runs `action`. Returns the exit code (the action's, else 0); writes nothing
 * to stdout on failure.
 */
export async function runProgram(
  program: Command,
  argv: readonly string[],
  io: CommandIo,
  action: () => Promise<number | void>,
): Promise<number> {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  try {
    program.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw error;
  }
  try {
    return (await action()) ?? EXIT_OK;
  } catch (error) {
    io.stderr.write(`${program.name()}: ${oneLine(error)}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Option parsers: each refuses what it cannot use with a message naming the expected form. */
export const parse = {
  /** A store URL the exporter understands (not reached here). */
  store: (value: string): string => {
    try {
      parseStoreUrl(value);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
    return value;
  },
  positiveInteger: (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
      throw new InvalidArgumentError('expected a whole number of 1 or more');
    }
    return number;
  },
  httpUrl: (value: string): string => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // reported below
    }
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new InvalidArgumentError('expected an http:// or https:// URL');
    }
    return value;
  },
  /** A trace ID (a query's ID is its trace's): 32 lower-case hex digits; `name` says which in the error. */
  traceId:
    (name: string) =>
    (value: string): string => {
      if (!/^[0-9a-f]{32}$/.test(value)) {
        throw new InvalidArgumentError(`expected ${name}: 32 lower-case hex digits`);
      }
      return value;
    },
};
