/**
 * Batching by time on the in-process lane: traces written one after another within the linger
 * share a transaction, counted as commits of the store (the Oracle stand-in records each). Not
 * a timing test: the linger is either 0 or far longer than the test, and what ends it early
 * (a full batch, a flush, a write that waits for its commit, the shutdown) is what is shown.
 */
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { init } from '@guanmingchiu/sqlparser-ts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import { TableExporter } from '@aitdr/exporter';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { FakeOracleDb } from './dialects/oracle/fake-oracledb.js';
import { recordPipeline } from './support/traces.js';

const HOUR = 3_600_000;

describe('TableExporter linger', () => {
  let oracledb: FakeOracleDb;
  let dir: { path: string; remove(): void };
  const exporters: TableExporter[] = [];

  beforeAll(async () => {
    await init();
  });
  beforeEach(() => {
    oracledb = new FakeOracleDb();
    dir = createTemporaryDirectory('aitdr-linger-');
  });
  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((exporter) => exporter.shutdown()));
    dir.remove();
  });

  const create = async (options: { lingerMs: number; batchSize?: number }) => {
    const exporter = new TableExporter({
      store: {
        dialect: 'oracle',
        user: 'aitdr',
        password: 'secret',
        connectString: 'db:1521/X',
        driver: oracledb,
      },
      stateDirectory: join(dir.path, String(exporters.length)),
      installSchema: true,
      replayIntervalMs: HOUR,
      parking: { retryIntervalMs: HOUR },
      ...options,
    });
    exporters.push(exporter);
    // Connected, schema checked, spool open: commits from here on are batches of traces.
    await exporter.verifyStore();
    await exporter.forceFlush();
    return exporter;
  };
  const commits = () => oracledb.calls.filter((call) => call.method === 'commit').length;

  /** Writes `count` queries one by one, each in an event-loop turn of its own, as an app does. */
  const writeOneByOne = async (exporter: TableExporter, count: number) => {
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < count; i += 1) {
      writes.push(exporter.writeTraces(recordPipeline().spans.map(toSpanRecord)));
      await nextTurn();
    }
    return writes;
  };

  it('writes traces arriving one by one in fewer transactions than without it', async () => {
    const eager = await create({ lingerMs: 0 });
    let before = commits();
    await Promise.all(await writeOneByOne(eager, 20));
    const eagerCommits = commits() - before;

    const lingering = await create({ lingerMs: HOUR, batchSize: 64 });
    before = commits();
    const writes = await writeOneByOne(lingering, 20);
    expect(commits() - before).toBe(0); // waiting for a fuller batch
    await lingering.forceFlush(); // a flush does not wait the hour out
    await Promise.all(writes);
    expect(commits() - before).toBe(1);
    expect(eagerCommits).toBeGreaterThan(1);
    expect(lingering.status().counters).toMatchObject({ received: 20, written: 20 });
  });

  it('writes a full batch at once, without waiting out the linger', async () => {
    const exporter = await create({ lingerMs: HOUR, batchSize: 5 });
    const before = commits();
    await Promise.all(await writeOneByOne(exporter, 10));
    expect(commits() - before).toBe(2);
    expect(exporter.status().counters.written).toBe(10);
  });

  it('writes the rest of one write larger than a batch without waiting out the linger', async () => {
    const exporter = await create({ lingerMs: HOUR, batchSize: 5 });
    const before = commits();
    const spans = Array.from({ length: 7 }, () => recordPipeline().spans.map(toSpanRecord)).flat();
    await expect(exporter.writeTraces(spans)).resolves.toMatchObject({ committed: 7 });
    expect(commits() - before).toBe(2);
  });

  it('does not make a write that waits for its commit wait out the linger', async () => {
    const exporter = await create({ lingerMs: HOUR });
    const before = commits();
    const accepted = await writeOneByOne(exporter, 3);
    await expect(
      exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' }),
    ).resolves.toMatchObject({
      committed: 1,
    });
    await Promise.all(accepted); // the lingering ones went with it
    expect(commits() - before).toBe(1);
  });

  it('writes what lingers when it shuts down', async () => {
    const exporter = await create({ lingerMs: HOUR });
    const writes = await writeOneByOne(exporter, 3);
    await exporter.shutdown();
    await expect(Promise.all(writes)).resolves.toHaveLength(3);
    expect(exporter.status().counters.written).toBe(3);
  });
});
