/**
 * With no --state-dir, aitdr-dead-letters looks where the store's letters are by default: the
 * standalone collector's state as well as the demo's, and only the given store's.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorStoreStateDirectory, resolveConfig } from '@aitdr/collector';
import { createTableExporter } from '@aitdr/exporter';
import { runDeadLettersCommand } from '@aitdr/cli';
import { recordPipeline } from '@aitdr/exporter/test/support/traces.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { defaultDeadLetterStateDirectories, demoStateDirectory } from '../../src/commands/defaults.js';
import { runCommand } from '../support/run-command.js';
import { toSpanRecord } from '@aitdr/conventions';

describe('aitdr-dead-letters with the default state directories', () => {
  const dir = createTemporaryDirectory('aitdr-cli-dead-letter-defaults-');
  const previous = process.cwd();
  const refused = (store: string, stateDirectory: string) => async () => {
    const trace = recordPipeline(undefined, { queryExtra: { 'user.name': 'x'.repeat(300) } });
    const exporter = createTableExporter({ store, stateDirectory });
    await exporter.writeTraces(trace.spans.map(toSpanRecord));
    await exporter.shutdown();
    return trace.traceId;
  };
  let collectorLetter: string;
  let demoLetter: string;
  let legacyLetter: string;

  beforeAll(async () => {
    process.chdir(dir.path); // the defaults are relative to the working directory, as for a user
    // A standalone collector with every default, and the demo on another store.
    const collectorState = collectorStoreStateDirectory(resolveConfig({}).stateDirectory);
    collectorLetter = await refused('sqlite:data/training.db', collectorState)();
    demoLetter = await refused(
      'sqlite:data/other.db',
      defaultDeadLetterStateDirectories('sqlite:data/other.db')[0]!,
    )();
    // Where an earlier version's demo kept them, for every store.
    legacyLetter = await refused('sqlite:data/training.db', 'data/state/collector/store')();
  });
  afterAll(() => {
    process.chdir(previous);
    dir.remove();
  });

  it('finds what a collector started with defaults dead-lettered', async () => {
    const { code, stdout, stderr } = await runCommand(runDeadLettersCommand, []);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(collectorLetter);
    expect(stdout).toMatch(/1 dead letter\(s\) in data\/collector\/sqlite-[0-9a-f]{12}\/store\/dead-letter/);
    expect(stdout).not.toContain(demoLetter);
  });

  it('still lists what an earlier version left in its default place', async () => {
    const { stdout } = await runCommand(runDeadLettersCommand, []);
    expect(stdout).toContain(legacyLetter);
    expect(stdout).toContain('1 dead letter(s) in data/state/collector/store/dead-letter');
  });

  it('keeps each store’s letters apart: the demo’s state directory is one per store', async () => {
    expect(demoStateDirectory('sqlite:data/other.db')).not.toBe(
      demoStateDirectory('sqlite:data/training.db'),
    );
    const { stdout } = await runCommand(runDeadLettersCommand, ['--store', 'sqlite:data/other.db']);
    expect(stdout).toContain(demoLetter);
    expect(stdout).not.toContain(collectorLetter);
    expect(stdout).toContain(legacyLetter); // an earlier version's place holds every store's
    expect(stdout).toContain(
      join(demoStateDirectory('sqlite:data/other.db'), 'collector', 'store', 'dead-letter'),
    );
  });
});
