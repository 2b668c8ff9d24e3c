/**
 * How long a run is: `full` for the published figures, `quick` (shorter outage) for trying
 * changes, `smoke` (a few hundred iterations, seconds) for CI, which only checks that every
 * figure is produced.
 */
export type BenchMode = 'full' | 'quick' | 'smoke';

const MODES: readonly BenchMode[] = ['full', 'quick', 'smoke'];

/** `--mode <name>` from the command line; `full` when absent. */
export function modeFromArgs(args: readonly string[] = process.argv.slice(2)): BenchMode {
  const index = args.indexOf('--mode');
  const value = index >= 0 ? args[index + 1] : 'full';
  if (!MODES.includes(value as BenchMode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
  return value as BenchMode;
}

/** Picks the setting of the current mode. */
export function byMode<T>(mode: BenchMode, settings: Readonly<Record<BenchMode, T>>): T {
  return settings[mode];
}

/** Logs to stderr, so stdout carries only figure lines. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Waits until the harness says to measure (`--go-file <path>` exists), for a benchmark set up
 * while the previous one runs; at once when run on its own.
 */
export async function waitForGo(args: readonly string[] = process.argv.slice(2)): Promise<void> {
  const index = args.indexOf('--go-file');
  const path = index >= 0 ? args[index + 1] : undefined;
  if (path === undefined) return;
  const { existsSync } = await import('node:fs');
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 100));
}
