import { TABLES } from '@aitdr/schema';
import { openTableReader, StoreReadError } from '@aitdr/exporter';
import type { TableReader } from '@aitdr/exporter';

/** Rows in each of the nine tables, by table name, in the order of TABLES. */
async function countTableRows(reader: TableReader): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of TABLES) {
    // Table names come from the schema's constants, never from input.
    const [row] = await reader.query(`SELECT COUNT(*) AS N FROM ${table.name}`);
    counts.set(table.name, Number(row?.N ?? 0));
  }
  return counts;
}

/** The counts of a store, or why it cannot be read (no file yet, no tables yet, unreachable). */
export async function countStoredRows(store: string): Promise<Map<string, number> | StoreReadError> {
  let reader: TableReader;
  try {
    reader = await openTableReader(store);
  } catch (error) {
    if (error instanceof StoreReadError) return error;
    throw error;
  }
  try {
    return await countTableRows(reader);
  } finally {
    await reader.close();
  }
}
