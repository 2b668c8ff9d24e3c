/**
 * PostgreSQL as operations teams run it: an owner installs the schema with `aitdr-schema`, the
 * recorder (SDK) and the collector connect as a DML-only writer made by the generated grants,
 * export and stats as a reader. A privilege lost at run time keeps the traces on the spool
 * (never dead-lettered), the status and /health say why, and they are replayed once granted.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { SchemaNotReadyError } from '@aitdr/exporter';
import type { TableExporterStatus } from '@aitdr/exporter';
import { createRecorder } from '@aitdr/sdk';
import type { Recorder } from '@aitdr/sdk';
import { SCHEMA_VERSION } from '@aitdr/schema';
import { runSchemaCommand } from '@aitdr/cli';
import { POSTGRES_ADMIN_URL, createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import type { TemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { runCommand } from '../support/run-command.js';

const suffix = randomBytes(4).toString('hex');
const ROLES = {
  owner: `aitdr_owner_${suffix}`,
  writer: `aitdr_writer_${suffix}`,
  reader: `aitdr_reader_${suffix}`,
};

/** Fast retries and breaker, so the test waits on the store, not on backoffs. */
const QUICK = {
  retry: { retries: 1, minDelayMs: 5, maxDelayMs: 10 },
  breaker: { resetTimeoutMs: 100 },
  replayIntervalMs: 50,
};

describe('PostgreSQL with an owner, a DML-only writer and a reader', () => {
  let database: TemporaryDatabase;
  let dir: { path: string; remove(): void };
  const urlAs = (role: string) => {
    const url = new URL(database.url);
    url.username = role;
    return url.toString();
  };
  const admin = async <T>(sql: string, values: unknown[] = [], as = POSTGRES_ADMIN_URL): Promise<T[]> => {
    const url = new URL(as);
    url.pathname = new URL(database.url).pathname;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const countQueries = async (text: string) =>
    Number(
      (
        await admin<{ n: string }>('SELECT count(*) AS n FROM ai_training_queries WHERE query_text = $1', [
          text,
        ])
      )[0]!.n,
    );
  const recordOne = async (recorder: Recorder, text: string) => {
    await recorder.recordQuery({ text }, (query) => {
      query.classification({ category: 'downtime', confidence: 0.9 });
    });
  };

  beforeAll(async () => {
    database = await createTemporaryDatabase('aitdr_roles', { schema: false });
    dir = createTemporaryDirectory('aitdr-roles-');
    await admin(
      `CREATE ROLE ${ROLES.owner} LOGIN; CREATE ROLE ${ROLES.writer} LOGIN; CREATE ROLE ${ROLES.reader} LOGIN;` +
        `GRANT ALL ON SCHEMA public TO ${ROLES.owner};`,
    );
  });

  afterAll(async () => {
    await database.drop();
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      for (const role of Object.values(ROLES)) await client.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await client.end();
    }
    dir.remove();
  });

  it('refuses to start the recorder and the collector on a store with no schema, naming the fix', async () => {
    const refused = await createRecorder({
      serviceName: 'roles-test',
      store: urlAs(ROLES.writer),
      storeOptions: { stateDirectory: join(dir.path, 'no-schema-sdk') },
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SchemaNotReadyError);
    expect(String(refused)).toMatch(/has no recorder schema/);
    expect((refused as SchemaNotReadyError).fix).toMatch(/aitdr-schema install --store/);

    await expect(
      startCollector({
        store: urlAs(ROLES.writer),
        port: 0,
        stateDirectory: join(dir.path, 'no-schema-collector'),
      }),
    ).rejects.toThrow(/has no recorder schema/);

    const check = await runCommand(runSchemaCommand, ['check', '--store', urlAs(ROLES.writer)]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/has no recorder schema: run aitdr-schema install/);
  });

  it('lets the owner install the schema and grant the writer and reader roles', async () => {
    const install = await runCommand(runSchemaCommand, ['install', '--store', urlAs(ROLES.owner)]);
    expect(install).toMatchObject({ code: 0, stderr: '' });
    expect(install.stdout).toMatch(new RegExp(`installed schema version ${SCHEMA_VERSION}\\b`));
    expect((await runCommand(runSchemaCommand, ['install', '--store', urlAs(ROLES.owner)])).stdout).toMatch(
      new RegExp(`already installed \\(version ${SCHEMA_VERSION}\\)`),
    );

    const grants = await runCommand(runSchemaCommand, [
      'grants',
      '--dialect',
      'postgres',
      '--writer',
      ROLES.writer,
      '--reader',
      ROLES.reader,
    ]);
    expect(grants.code).toBe(0);
    await admin(grants.stdout, [], urlAs(ROLES.owner));

    const check = await runCommand(runSchemaCommand, ['check', '--store', urlAs(ROLES.writer)]);
    expect(check).toMatchObject({ code: 0 });
    expect(check.stdout).toMatch(new RegExp(`schema version ${SCHEMA_VERSION}, up to date`));
    // The writer cannot change the schema, nor delete.
    await expect(admin('DROP TABLE ai_user_feedback', [], urlAs(ROLES.writer))).rejects.toMatchObject({
      code: '42501',
    });
    await expect(admin('DELETE FROM ai_training_queries', [], urlAs(ROLES.writer))).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('records through the SDK and the collector as the DML-only writer', async () => {
    const recorder = await createRecorder({
      serviceName: 'roles-test',
      store: urlAs(ROLES.writer),
      mode: 'sync',
      storeOptions: { stateDirectory: join(dir.path, 'sdk') },
    });
    try {
      await recordOne(recorder, 'recorded in-process by the writer');
    } finally {
      await recorder.shutdown();
    }
    expect(await countQueries('recorded in-process by the writer')).toBe(1);

    const collector = await startCollector({
      store: urlAs(ROLES.writer),
      port: 0,
      waitMs: 0,
      stateDirectory: join(dir.path, 'collector'),
    });
    try {
      const client = await createRecorder({
        serviceName: 'roles-test',
        collector: { url: `${collector.url}/v1/traces` },
      });
      await recordOne(client, 'recorded through the collector by the writer');
      await client.shutdown();
      await expect
        .poll(() => countQueries('recorded through the collector by the writer'), { timeout: 20_000 })
        .toBe(1);
    } finally {
      await collector.close();
    }
    // The reader can read what export and stats read.
    expect(await admin('SELECT count(*) FROM ai_training_examples', [], urlAs(ROLES.reader))).toHaveLength(1);
  });

  it('spools on a privilege lost at run time, says why, dead-letters nothing, and replays once granted', async () => {
    let collector: RunningCollector | undefined;
    const recorder = await createRecorder({
      serviceName: 'roles-test',
      store: urlAs(ROLES.writer),
      storeOptions: { stateDirectory: join(dir.path, 'revoked-sdk'), ...QUICK },
    });
    try {
      collector = await startCollector({
        store: urlAs(ROLES.writer),
        port: 0,
        waitMs: 0,
        stateDirectory: join(dir.path, 'revoked-collector'),
        storeCheckIntervalMs: 50,
        exporter: QUICK,
      });
      await admin(`REVOKE INSERT ON ai_training_queries FROM ${ROLES.writer}`, [], urlAs(ROLES.owner));

      await recordOne(recorder, 'recorded while the grant was missing');
      await recorder.forceFlush();
      const writer = () => recorder.status().writer as TableExporterStatus;
      expect(writer()).toMatchObject({
        healthy: false,
        counters: { spooled: 1, deadLettered: 0, written: 0 },
      });
      expect(writer().lastError?.message).toMatch(
        /store misconfigured \(insufficient privilege\).*permission denied/,
      );
      expect(writer().lastError?.message).toMatch(/fix: grant the writer role INSERT, SELECT, UPDATE/);

      const client = await createRecorder({
        serviceName: 'roles-test',
        collector: { url: `${collector.url}/v1/traces` },
      });
      await recordOne(client, 'sent to the collector while the grant was missing');
      await client.shutdown();
      const running = collector;
      await expect.poll(() => running.exporter.status().counters.spooled, { timeout: 20_000 }).toBe(1);
      const health = (await (await fetch(`${running.url}/health`)).json()) as {
        status: string;
        storeHealthy: boolean;
        checks: { store: { ok: boolean; detail: string } };
      };
      expect(health.status).toBe('ok');
      expect(health.storeHealthy).toBe(false);
      expect(health.checks.store.ok).toBe(false);
      expect(health.checks.store.detail).toMatch(/permission denied.*fix: grant the writer role/);
      expect(running.exporter.status().counters.deadLettered).toBe(0);

      await admin(`GRANT INSERT ON ai_training_queries TO ${ROLES.writer}`, [], urlAs(ROLES.owner));
      await expect
        .poll(() => countQueries('recorded while the grant was missing'), { timeout: 20_000 })
        .toBe(1);
      await expect
        .poll(() => countQueries('sent to the collector while the grant was missing'), { timeout: 20_000 })
        .toBe(1);
      expect(writer().counters).toMatchObject({ replayed: 1, deadLettered: 0 });
      expect(running.exporter.status().counters).toMatchObject({ replayed: 1, deadLettered: 0 });
    } finally {
      await recorder.shutdown();
      await collector?.close();
    }
  });
});
