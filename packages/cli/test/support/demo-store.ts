import { join } from 'node:path';
import { runDemo } from '@aitdr/cli';
import type { DemoResult } from '@aitdr/cli';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

/** Midday, 1 June 2026 (UTC). */
const DEMO_NOW_MS = Date.UTC(2026, 5, 1, 12);

export interface DemoStore {
  readonly directory: string;
  /** `sqlite:<file>` of the recorded training data. */
  readonly store: string;
  readonly storeFile: string;
  readonly sampleDatabase: string;
  readonly result: DemoResult;
  remove(): void;
}

/** A SQLite store holding a small demo run, recorded in-process, in a fresh temporary directory. */
export async function recordDemoStore(queries: number, seed = 42): Promise<DemoStore> {
  const dir = createTemporaryDirectory('aitdr-cli-store-');
  const storeFile = join(dir.path, 'training.db');
  const sampleDatabase = join(dir.path, 'sample.db');
  const result = await runDemo({
    queries,
    seed,
    store: `sqlite:${storeFile}`,
    sampleDatabase,
    days: 14,
    // A fixed "now": the demo's timeline starts from it, so the recorded data is the same on any day.
    nowMs: DEMO_NOW_MS,
    transport: { kind: 'in-process' },
    realTime: false,
    stateDirectory: join(dir.path, 'state'),
  });
  return {
    directory: dir.path,
    store: `sqlite:${storeFile}`,
    storeFile,
    sampleDatabase,
    result,
    remove: () => dir.remove(),
  };
}
