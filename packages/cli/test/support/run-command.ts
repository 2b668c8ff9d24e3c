import { PassThrough } from 'node:stream';
import type { CommandIo } from '@aitdr/cli';

export interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command in-process with its own streams and returns what a user would see. */
export async function runCommand(
  command: (argv: readonly string[], io: CommandIo) => Promise<number>,
  argv: readonly string[],
): Promise<CommandOutput> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await command(argv, { stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
