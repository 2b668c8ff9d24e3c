/**
 * Progress bars on the terminal (cli-progress, well kept and widely used), on stderr so stdout
 * stays clean for what a command prints. A stream that is not a terminal gets no bar at all.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number): void;
  /** Corrects the total once it is known (a bar started with an estimate). */
  setTotal?(total: number): void;
  increment(count?: number): void;
  stop(): void;
}

export interface TerminalStream extends NodeJS.WritableStream {
  readonly isTTY?: boolean;
}

/** A bar labelled `label` counting `unit`s on `stream`; does nothing when the stream is not a terminal. */
export function createProgress(stream: TerminalStream, label: string, unit: string): Progress | undefined {
  if (stream.isTTY !== true) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0),
    setTotal: (total) => bar.setTotal(total),
    increment: (count = 1) => bar.increment(count),
    stop: () => bar.stop(),
  };
}
