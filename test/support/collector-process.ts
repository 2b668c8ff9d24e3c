import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

export interface CollectorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

/** Runs the collector's CLI in a child process, as an operator would, and waits for its URL. */
export async function spawnCollector(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=aitdr-source', '--import', 'tsx', SERVER, '--port', '0', ...args],
    {
      env: { ...process.env, AITDR_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'collector started' && entry.url) resolve(entry.url);
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`collector exited (${code}) before starting: ${stderr}`)));
  });
  child.stdout.resume();
  return { url, child, exited };
}
