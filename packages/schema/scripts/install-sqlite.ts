/**
 * Interim main job until the demo exists: installs the schema onto a new (or existing) SQLite
 * file and lists what it holds. Usage: install-sqlite.ts [path], default data/training.db.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { TABLES, TRAINING_EXAMPLES_VIEW, schemaInstallScript } from '../src/index.js';

const path = resolve(process.argv[2] ?? 'data/training.db');
mkdirSync(dirname(path), { recursive: true });
const db = new Database(path);
try {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(schemaInstallScript('sqlite'));
  console.log(`Schema installed in ${path}`);
  for (const table of TABLES) {
    const { n } = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table.name}`).get()!;
    console.log(`  ${table.name.padEnd(26)} ${String(table.columns.length).padStart(2)} columns  ${n} rows`);
  }
  console.log(`  ${TRAINING_EXAMPLES_VIEW} (view)`);
} catch (error) {
  console.error(`install failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  db.close();
}
