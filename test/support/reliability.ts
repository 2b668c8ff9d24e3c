/**
 * What the reliability suite shares: its two lengths (the CI form inside `npm test`, the long
 * form by `pnpm run test:reliability:long`), its seed, and checks on what a store holds.
 */
import { TABLES } from '@aitdr/schema';
import type { StoreUnderTest } from './stores.js';

/** Set by `pnpm run test:reliability:long`: outages, load and fuzzing run for their full length. */
export const LONG_FORM = process.env.AITDR_RELIABILITY_LONG === '1';

/** `ci` milliseconds in the CI form, `long` in the long form. */
export const duration = (ci: number, long: number): number => (LONG_FORM ? long : ci);

/** One seed per run, printed, so a failure reproduces with `AITDR_RELIABILITY_SEED=<seed>`. */
export const SEED = process.env.AITDR_RELIABILITY_SEED ?? 'reliability-1';

/** Prints a figure of the run, so the long run's numbers can go into docs/reliability.md. */
export function report(test: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${test} ${JSON.stringify({ seed: SEED, longForm: LONG_FORM, ...figures })}`);
}

/** Query IDs of the traces stored whole: a COMPLETE query row and its classification row. */
export async function storedTraceIds(store: StoreUnderTest): Promise<Set<string>> {
  const ids = await store.column(
    `SELECT q.QUERY_ID FROM AI_TRAINING_QUERIES q
     WHERE q.TRACE_STATUS = 'COMPLETE'
       AND EXISTS (SELECT 1 FROM AI_QUERY_CLASSIFICATIONS c WHERE c.QUERY_ID = q.QUERY_ID)`,
  );
  return new Set(ids.map(String));
}

/** Rows whose primary key another row of the table has too, per table: all zero when nothing is stored twice. */
export async function duplicateRows(store: StoreUnderTest): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const key = table.primaryKey.join(', ');
    counts[table.name] = Number(
      await store.scalar(
        `SELECT COUNT(*) FROM (SELECT ${key} FROM ${table.name} GROUP BY ${key} HAVING COUNT(*) > 1) d`,
      ),
    );
  }
  return counts;
}

export const noDuplicates = (): Record<string, number> =>
  Object.fromEntries(TABLES.map((table) => [table.name, 0]));

/** Percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The collector's /metrics, one entry per sample: `name{labels}` → value. */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
