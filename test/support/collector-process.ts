import { fileURLToPath } from 'node:url';
import { spawnTs } from './child-process.js';
import type { TsProcess } from './child-process.js';

const SERVER = fileURLToPath(new URL('../../collector/src/server.ts', import.meta.url));

export interface CollectorProcess extends TsProcess {
  readonly url: string;
  /** The collector's JSON log lines so far. */
  readonly logs: readonly Record<string, unknown>[];
}

/** Runs the collector's CLI in a child process, as an operator would, and waits for its URL. */
export async function spawnCollector(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CollectorProcess> {
  const running = spawnTs(SERVER, {
    args: ['--port', '0', ...args],
    env: { AITDR_LOG_LEVEL: 'info', ...env },
  });
  const started = await running.line((entry) => entry.msg === 'collector started');
  return { ...running, url: String(started.url), logs: running.lines };
}
