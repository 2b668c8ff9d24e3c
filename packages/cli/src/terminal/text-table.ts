/** Plain text tables for the terminal (cli-table3), without colours so they read the same in a file. */
import Table from 'cli-table3';

export type Alignment = 'left' | 'right';

/** A table with a header row; numbers are right-aligned unless `align` says otherwise. */
export function textTable(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  align?: readonly Alignment[],
): string {
  const table = new Table({
    head: [...head],
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => align?.[i] ?? (i === 0 ? 'left' : 'right')),
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}

/** `part` of `whole` as a percentage with one decimal, or a dash when there is no whole. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** A path as the user can type it from here: relative when it lies under the working directory. */
export function displayPath(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}
