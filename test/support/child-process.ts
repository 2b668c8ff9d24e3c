/**
 * Runs one of the repository's TypeScript programs in a child process, from source (the
 * "aitdr-source" condition, tsx), collecting the JSON lines it writes to stdout: the collector's
 * log, or what a test program reports.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

// By URL, so a program started in another working directory still finds the loader.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface TsProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Every JSON line written to stdout so far, parsed, in order. */
  readonly lines: readonly Record<string, unknown>[];
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the first line (already written or to come) that matches; rejects if the process exits first. */
  line(matches: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

export function spawnTs(
  script: string,
  options: { args?: readonly string[]; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): TsProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=aitdr-source', '--import', TSX_LOADER, script, ...(options.args ?? [])],
    {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    },
  );
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Record<string, unknown>[] = [];
  const waiting = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      return; // not a JSON line
    }
    for (const check of waiting) check();
  });
  return {
    child,
    exited,
    lines,
    stderr: () => stderr,
    line: (matches) =>
      new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < lines.length; seen++) {
            if (matches(lines[seen]!)) {
              waiting.delete(check);
              resolve(lines[seen]!);
              return;
            }
          }
        };
        waiting.add(check);
        check();
        void exited.then((code) => {
          if (!waiting.delete(check)) return;
          reject(new Error(`${script} exited (${code}) before writing the line awaited: ${stderr}`));
        });
      }),
  };
}

/**
 * Runs an ES module script (`--eval`, from source like `spawnTs`) in a Node.js started with
 * `flags` (e.g. `--disallow-code-generation-from-strings`); returns what it printed, trimmed.
 */
export function evalTsModule(script: string, flags: readonly string[] = []): string {
  return execFileSync(
    process.execPath,
    [...flags, '--conditions=aitdr-source', '--import', TSX_LOADER, '--input-type=module', '--eval', script],
    { encoding: 'utf8' },
  ).trim();
}
