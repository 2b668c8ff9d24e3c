import { fileURLToPath } from 'node:url';
import { spawnTs } from './child-process.js';
import type { TsProcess } from './child-process.js';

const SERVER = fileURLToPath(new URL('../../collector/src/server.ts', import.meta.url));

export interface CollectorProcess extends TsProcess {
  readonly url: string;
  /** The OTLP/gRPC address (a free port, unless the args say otherwise). */
  readonly grpcUrl?: string;
  /** The collector's JSON log lines so far. */
  readonly logs: readonly Record<string, unknown>[];
}

/** Runs the collector's CLI in a child process, as an operator would, and waits for its URL. */
export async function spawnCollector(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CollectorProcess> {
  const running = spawnTs(SERVER, {
    // A free gRPC port too: tests run in parallel, and 4317 is the CLI's default.
    args: ['--port', '0', '--grpc-port', '0', ...args],
    env: { AITDR_LOG_LEVEL: 'info', ...env },
  });
  const started = await running.line((entry) => entry.msg === 'collector started');
  return {
    ...running,
    url: String(started.url),
    ...(typeof started.grpcUrl === 'string' ? { grpcUrl: started.grpcUrl } : {}),
    logs: running.lines,
  };
}
