/**
 * `aitdr-delete` on a SQLite file and a PostgreSQL database: a user's data (by name or ID, with
 * the feedback they gave on others' queries), one query, or what is older than a date, across the
 * nine tables; a dry run changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_USER_ID, ATTR_USER_NAME, STAGES, stageSpanName } from '@aitdr/conventions';
import { createTableExporter } from '@aitdr/exporter';
import {
  AI_MODEL_INTERACTIONS,
  AI_QUERY_CLASSIFICATIONS,
  AI_TRAINING_QUERIES,
  AI_USER_FEEDBACK,
  TABLES,
} from '@aitdr/schema';
import { runDeleteCommand } from '@aitdr/cli';
import { postgresStore, sqliteStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import {
  T0,
  TraceRecorder,
  exampleFields,
  recordFeedback,
  recordPipeline,
  stageAttributes,
} from '@aitdr/exporter/test/support/traces.js';
import { runCommand } from '../support/run-command.js';
import { toSpanRecord } from '@aitdr/conventions';

const user = (name: string) => ({ [ATTR_USER_NAME]: name, [ATTR_USER_ID]: `id-${name}` });

/** A query-only trace by `name`, started `days` before the other traces. */
function oldQuery(name: string, days: number) {
  const recorder = new TraceRecorder();
  const start = T0 - days * 86_400;
  const span = recorder.start(stageSpanName('query'), {
    attributes: { ...stageAttributes('query', exampleFields('query')), ...user(name) },
    startTime: [start, 0],
    kind: STAGES.query.spanKind,
  });
  span.end([start, 5_000_000]);
  return { traceId: span.spanContext().traceId, spans: recorder.take() };
}

describe.each([
  ['SQLite', sqliteStore],
  ['PostgreSQL', postgresStore],
])('aitdr-delete on %s', (_name, makeStore) => {
  let store: StoreUnderTest;
  const alice = recordPipeline(undefined, { queryExtra: user('alice') });
  const bob = recordPipeline(undefined, { queryExtra: user('bob') });
  const carol = oldQuery('carol', 30);
  const counts = async () =>
    Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t.name, await store.count(t)] as const)));
  const run = (...args: string[]) => runCommand(runDeleteCommand, ['--store', store.url, ...args]);

  beforeAll(async () => {
    store = await makeStore();
    const exporter = createTableExporter({ store: store.url, stateDirectory: store.stateDirectory });
    try {
      const spans = [
        ...alice.spans,
        ...bob.spans,
        ...carol.spans,
        ...recordFeedback(alice.traceId, alice.spanIds.query, { username: 'alice' }).spans,
        // alice's feedback on bob's answer is alice's data too
        ...recordFeedback(bob.traceId, bob.spanIds.query, { username: 'alice' }).spans,
        ...recordFeedback(bob.traceId, bob.spanIds.query, { username: 'bob' }).spans,
      ];
      await exporter.writeTraces(spans.map(toSpanRecord), { require: 'committed' });
    } finally {
      await exporter.shutdown();
    }
  });

  afterAll(async () => {
    await store.close();
  });

  it('needs something to delete by', async () => {
    const result = await run();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/name what to delete: --user, --query-id or --before/);
  });

  it("counts a user's rows in every table without deleting them (dry run by default)", async () => {
    const before = await counts();
    expect(before[AI_TRAINING_QUERIES.name]).toBe(3);
    const result = await run('--user', 'alice');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/would delete/);
    expect(result.stdout).toMatch(/AI_TRAINING_QUERIES\s*│\s*1\b/);
    expect(result.stdout).toMatch(/AI_MODEL_INTERACTIONS\s*│\s*2\b/);
    expect(result.stdout).toMatch(/AI_USER_FEEDBACK\s*│\s*2\b/);
    expect(result.stdout).toMatch(
      /dry run: \d+ row\(s\) would be deleted .*nothing deleted \(add --execute\)/,
    );
    expect(await counts()).toEqual(before);
  });

  it('combines criteria (AND), binding each value in its place', async () => {
    const none = await run('--user', 'bob', '--query-id', alice.traceId);
    expect(none.stdout).toMatch(/dry run: 0 row\(s\)/);
    const bobs = await run('--user', 'bob', '--query-id', bob.traceId);
    expect(bobs.stdout).toMatch(/AI_TRAINING_QUERIES\s*│\s*1\b/);
    expect(bobs.stdout).toMatch(/AI_USER_FEEDBACK\s*│\s*2\b/);
  });

  it("deletes a user's queries, every row of them, and the feedback they gave, by user ID", async () => {
    const result = await run('--user', 'id-alice', '--execute');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deleted \d+ row\(s\)/);
    expect(await store.column(`SELECT QUERY_ID FROM ${AI_TRAINING_QUERIES.name} ORDER BY QUERY_ID`)).toEqual(
      [bob.traceId, carol.traceId].sort(),
    );
    expect(await store.column(`SELECT USERNAME FROM ${AI_USER_FEEDBACK.name}`)).toEqual(['bob']);
    expect(await store.count(AI_MODEL_INTERACTIONS)).toBe(2); // bob's two
    expect(await store.count(AI_QUERY_CLASSIFICATIONS)).toBe(1);
  });

  it('deletes one query by its ID, cascading to its stage rows and feedback', async () => {
    expect((await run('--query-id', bob.traceId, '--execute')).code).toBe(0);
    expect(await store.column(`SELECT QUERY_ID FROM ${AI_TRAINING_QUERIES.name}`)).toEqual([carol.traceId]);
    for (const table of TABLES.filter((t) => t !== AI_TRAINING_QUERIES))
      expect(await store.count(table)).toBe(0);
  });

  it('deletes what started before a date, and keeps what did not', async () => {
    const notOlder = await run('--before', '2025-10-01', '--execute');
    expect(notOlder.stdout).toMatch(/deleted 0 row\(s\)/);
    expect(await store.count(AI_TRAINING_QUERIES)).toBe(1);
    const older = await run('--before', '2025-11-01', '--execute');
    expect(older.stdout).toMatch(/AI_TRAINING_QUERIES\s*│\s*1\b/);
    expect(await store.count(AI_TRAINING_QUERIES)).toBe(0);
  });

  it('refuses a date it cannot read', async () => {
    const result = await run('--before', 'last tuesday');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expected a date/);
  });
});
