import Database from 'better-sqlite3';
import { TABLES } from '@aitdr/schema';

/** Row counts of the nine tables in a SQLite store. */
export function tableCounts(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    return Object.fromEntries(
      TABLES.map((table) => [
        table.name,
        (db.prepare(`SELECT COUNT(*) AS n FROM ${table.name}`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

export function selectAll<T>(path: string, sql: string, ...binds: unknown[]): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all(...binds) as T[];
  } finally {
    db.close();
  }
}

/** Polls until `check` returns true or the time is up (for work the collector finishes in the background). */
export async function eventually(check: () => boolean, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok: boolean;
    try {
      ok = check();
    } catch {
      ok = false; // e.g. the database file is not created yet
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
