/**
 * The leakage check is independent of the split: with a split that ignores intents (each example
 * alone, as the export split before intents), the export must fail loudly and write nothing.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runExportCommand } from '@aitdr/cli';
import type * as IntentGroups from '../../src/export/intent-groups.js';
import { recordDemoStore } from '../support/demo-store.js';
import type { DemoStore } from '../support/demo-store.js';
import { runCommand } from '../support/run-command.js';

const naive = vi.hoisted(() => ({ on: false }));

vi.mock('../../src/export/intent-groups.js', async (importOriginal) => {
  const original = await importOriginal<typeof IntentGroups>();
  const { splitOf } = await import('../../src/export/export-rules.js');
  return {
    ...original,
    assignGroups: (
      items: Parameters<typeof original.assignGroups>[0],
      seed: string,
      ratio: number,
    ): ReturnType<typeof original.assignGroups> =>
      naive.on
        ? items.map((item, i) => ({ group: String(i), split: splitOf(`${i}`, seed, ratio) }))
        : original.assignGroups(items, seed, ratio),
  };
});

describe('the leakage check', () => {
  let demo: DemoStore;
  beforeAll(async () => {
    demo = await recordDemoStore(120, 5);
  });
  afterAll(() => demo?.remove());

  it('fails the export in one line and leaves the earlier export as it was', async () => {
    const out = join(demo.directory, 'export');
    const args = ['--store', demo.store, '--out', out, '--no-dedupe', '--validation-ratio', '0.5'];
    const good = await runCommand(runExportCommand, args);
    expect(good.code).toBe(0);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');

    naive.on = true;
    try {
      const leaky = await runCommand(runExportCommand, args);
      expect(leaky.code).toBe(1);
      expect(leaky.stdout).toBe('');
      expect(leaky.stderr).toMatch(
        /^aitdr-export: leakage between train and validation: \d+ gold SQL and \d+ normalised questions are in both; nothing was written\n$/,
      );
    } finally {
      naive.on = false;
    }
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readdirSync(out).filter((name) => name.endsWith('.partial'))).toEqual([]);
    expect(existsSync(join(out, 'train.parquet'))).toBe(true);
  });
});
