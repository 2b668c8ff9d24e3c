/**
 * The machine-readable output of every benchmark: one JSON line per figure on stdout (logs go to
 * stderr), which the harness collects into bench/results.json and docs/performance.md.
 */

export interface Target {
  /** `<`: strictly below (the "below"). */
  readonly op: '<=' | '>=' | '<';
  readonly value: number;
}

export interface Figure {
  /** Benchmark number and name, e.g. `1 request-path overhead`. */
  readonly benchmark: string;
  /** Stable identifier, e.g. `request_path.sqlite.ratio`. */
  readonly figure: string;
  /** What it is, for the table. */
  readonly label: string;
  /** The figure: the median over the runs (null when it could not be measured, with a note). */
  readonly value: number | null;
  readonly unit: string;
  /** Each run's value, when the figure is a median of runs. */
  readonly runs?: readonly number[];
  readonly target?: Target;
  /** Whether the target is met (only for figures with a target and a value). */
  readonly met?: boolean;
  readonly note?: string;
  /**
   * Set on a figure measured by a separate run (`--sizes`) rather than the run of the results
   * file: the date of that run. Such a figure is carried over by later runs that do not measure it.
   */
  readonly measuredSeparately?: string;
}

export type FigureInput = Omit<Figure, 'met' | 'value' | 'measuredSeparately'> & {
  readonly value: number | null;
};

/** Prints one figure line; the target verdict is computed here, once. */
export function emitFigure(input: FigureInput): Figure {
  const figure: Figure = {
    ...input,
    value: input.value === null ? null : round(input.value),
    ...(input.runs ? { runs: input.runs.map(round) } : {}),
    ...(input.target && input.value !== null ? { met: meets(input.value, input.target) } : {}),
  };
  process.stdout.write(`${JSON.stringify(figure)}\n`);
  return figure;
}

/** A figure line, or undefined for any other line. */
export function parseFigureLine(line: string): Figure | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<Figure>;
    return typeof parsed.figure === 'string' && typeof parsed.benchmark === 'string'
      ? (parsed as Figure)
      : undefined;
  } catch {
    return undefined;
  }
}

export function meets(value: number, target: Target): boolean {
  if (target.op === '<') return value < target.value;
  return target.op === '<=' ? value <= target.value : value >= target.value;
}

/** Four significant digits: more would be noise on a shared machine. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
