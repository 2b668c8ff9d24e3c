/** Plain text tables for the terminal (cli-table3), without colours so they read the same in a file. */
import Table from 'cli-table3';

type Alignment = 'left' | 'right';

/** Numbers, counts with a share ("22 (7.2%)"), fractions and dashes: what reads best right-aligned. */
const NUMERIC = /^[\d.,/%() –-]+$/;

/** Which columns hold only numbers (never the first, which names the row): they are right-aligned. */
export function numericColumns(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): boolean[] {
  return head.map((_, i) => i > 0 && rows.every((row) => NUMERIC.test(String(row[i] ?? ''))));
}

/** A table with a header row; a column of numbers is right-aligned, any other left-aligned. */
export function textTable(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const numeric = numericColumns(head, rows);
  const table = new Table({
    head: [...head],
    style: { head: [], border: [], compact: true },
    colAligns: numeric.map((isNumeric): Alignment => (isNumeric ? 'right' : 'left')),
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
