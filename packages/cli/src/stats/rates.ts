/**
 * Rates as the report shows them: successes out of n, with the 95% Wilson score interval, which
 * stays inside [0, 1] and is honest for small n (where the normal approximation is not).
 */

/** z for a two-sided 95% interval. */
const Z_95 = 1.959963984540054;

export interface Rate {
  readonly successes: number;
  readonly n: number;
}

/** The 95% Wilson score interval of `successes` out of `n`, as fractions; undefined when n is 0. */
export function wilsonInterval(successes: number, n: number): { low: number; high: number } | undefined {
  if (n <= 0) return undefined;
  const p = successes / n;
  const z2 = Z_95 * Z_95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z_95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

const pct = (fraction: number) => `${(100 * fraction).toFixed(1)}`;

/** `12/40 30.0% (17.9–45.8)`: the count, the rate and its 95% interval; `0/0 –` without data. */
export function formatRate(rate: Rate): string {
  const interval = wilsonInterval(rate.successes, rate.n);
  if (interval === undefined) return `${rate.successes}/${rate.n} –`;
  return (
    `${rate.successes}/${rate.n} ${pct(rate.successes / rate.n)}% ` +
    `(${pct(interval.low)}–${pct(interval.high)})`
  );
}

/** A rate in percent with its interval, for charts: undefined parts when n is 0. */
export function ratePercent(rate: Rate): { value: number | null; low: number | null; high: number | null } {
  const interval = wilsonInterval(rate.successes, rate.n);
  if (interval === undefined) return { value: null, low: null, high: null };
  const round = (fraction: number) => Math.round(1000 * fraction) / 10;
  return { value: round(rate.successes / rate.n), low: round(interval.low), high: round(interval.high) };
}
