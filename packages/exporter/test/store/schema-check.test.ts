import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, schemaInstallStatements, upgradeStatements } from '@aitdr/schema';
import { SchemaNotReadyError, TableExporter, applySchema, readSchemaStatus } from '@aitdr/exporter';
import { prepareSchema } from '../../src/store/schema-check.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordPipeline } from '../support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

describe('schema versions', () => {
  it('installs everything on an empty store and nothing on a current one', () => {
    expect(upgradeStatements('postgres', undefined)).toEqual(schemaInstallStatements('postgres'));
    expect(upgradeStatements('postgres', SCHEMA_VERSION)).toEqual([]);
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('refuses a missing or older schema naming the fix, and upgrades only when told', async () => {
    let installed: number | undefined = SCHEMA_VERSION - 1;
    let upgrades = 0;
    const access = {
      readVersion: () => Promise.resolve(installed),
      upgrade: () => {
        upgrades += 1;
        installed = SCHEMA_VERSION;
        return Promise.resolve();
      },
    };
    const behind = await prepareSchema(access, false, 'postgres://app@db/x').catch((e: unknown) => e);
    expect(behind).toBeInstanceOf(SchemaNotReadyError);
    expect(String(behind)).toMatch(
      new RegExp(
        `has schema version ${SCHEMA_VERSION - 1}; this recorder needs version ${SCHEMA_VERSION}; upgrade it .*aitdr-schema upgrade`,
      ),
    );
    expect(upgrades).toBe(0);
    await expect(prepareSchema(access, true, 'postgres://app@db/x')).resolves.toBe(SCHEMA_VERSION);
    expect(upgrades).toBe(1);
  });
});

describe('a SQLite store told not to install', () => {
  let dir: { path: string; remove(): void };
  beforeEach(() => {
    dir = createTemporaryDirectory('aitdr-schema-check-');
  });
  afterEach(() => dir.remove());

  it('refuses to start on a file without the schema, and starts once it is installed', async () => {
    const store = `sqlite:${join(dir.path, 'training.db')}`;
    const exporter = new TableExporter({
      store,
      installSchema: false,
      stateDirectory: join(dir.path, 'state'),
    });
    try {
      await expect(exporter.verifyStore()).rejects.toThrow(/has no recorder schema .*aitdr-schema install/);
      expect(exporter.status().lastError?.message).toMatch(/store misconfigured: .*has no recorder schema/);
      await expect(readSchemaStatus(store)).resolves.toEqual({
        installed: undefined,
        required: SCHEMA_VERSION,
      });
      await expect(applySchema(store)).resolves.toEqual({
        installed: SCHEMA_VERSION,
        required: SCHEMA_VERSION,
      });
      await exporter.verifyStore();
      await expect(
        exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' }),
      ).resolves.toMatchObject({
        committed: 1,
      });
    } finally {
      await exporter.shutdown();
    }
  });
});
