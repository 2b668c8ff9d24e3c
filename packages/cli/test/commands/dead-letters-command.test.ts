import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableExporter } from '@aitdr/exporter';
import { runDeadLettersCommand } from '@aitdr/cli';
import { recordFeedback, recordPipeline } from '@aitdr/exporter/test/support/traces.js';
import type { PipelineTrace } from '@aitdr/exporter/test/support/traces.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { runCommand } from '../support/run-command.js';
import { toSpanRecord } from '@aitdr/conventions';

/** The start of a letter whose append a crash cut short. */
const CUT_SHORT =
  '{"deadLetteredAt":"2026-11-25T09:00:00.000Z","traceId":"0af7651916cd43dd8448eb211c80319c","rea';

describe('aitdr-dead-letters', () => {
  const dir = createTemporaryDirectory('aitdr-cli-dead-letters-');
  const storeFile = join(dir.path, 'training.db');
  const store = `sqlite:${storeFile}`;
  const stateDir = join(dir.path, 'state');
  const run = (...args: string[]) =>
    runCommand(runDeadLettersCommand, ['--store', store, '--state-dir', stateDir, ...args]);
  let query: PipelineTrace;
  let feedback: ReturnType<typeof recordFeedback>;
  let tooLong: PipelineTrace;

  beforeAll(async () => {
    // Feedback that gave up waiting for its query, and a trace the store refuses for its data.
    const exporter = createTableExporter({ store, stateDirectory: stateDir, parking: { maxAttempts: 1 } });
    query = recordPipeline();
    feedback = recordFeedback(query.traceId, query.spanIds.query);
    tooLong = recordPipeline(undefined, { queryExtra: { 'user.name': 'x'.repeat(300) } });
    await exporter.writeTraces(feedback.spans.map(toSpanRecord));
    await exporter.shutdown();
    // An append a crash cut short; then a letter written after the restart.
    appendFileSync(join(stateDir, 'dead-letter', 'dead-letters.jsonl'), CUT_SHORT);
    const restarted = createTableExporter({ store, stateDirectory: stateDir });
    await restarted.writeTraces(tooLong.spans.map(toSpanRecord));
    await restarted.shutdown();
  });

  afterAll(() => dir.remove());

  it('lists the dead letters with their reasons', async () => {
    const { code, stdout, stderr } = await run();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain(feedback.traceId);
    expect(stdout).toContain(`query ${query.traceId} is not stored yet`);
    expect(stdout).toContain(tooLong.traceId);
    expect(stdout).toContain('refused by the database');
    expect(stdout).toMatch(/2 dead letter\(s\) in /);
  });

  it('refuses a trace ID that is not one, with exit code 2 and one line', async () => {
    const { code, stdout, stderr } = await run('--trace', 'not-a-trace');
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^aitdr-dead-letters: .*--trace.*32 lower-case hex digits\n$/);
  });

  it('refuses to replay while another exporter holds the state directory, and changes nothing', async () => {
    const owner = createTableExporter({ store, stateDirectory: stateDir });
    await owner.forceFlush(); // its spool is open and locked
    try {
      const { code, stdout, stderr } = await run('--replay');
      expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
      expect(stderr).toMatch(/^aitdr-dead-letters: cannot replay dead letters: .*another process/);
    } finally {
      await owner.shutdown();
    }
    expect((await run()).stdout).toMatch(/2 dead letter\(s\) in /);
  });

  it('replays: stores what the store now takes, keeps what it refuses again, exits 1 saying so', async () => {
    // The query arrives after its feedback was dead-lettered.
    const exporter = createTableExporter({ store, stateDirectory: join(dir.path, 'other-state') });
    await exporter.writeTraces(query.spans.map(toSpanRecord), { require: 'committed' });
    await exporter.shutdown();

    const { code, stdout, stderr } = await run('--replay');
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^replayed 2: committed 1, refused again 1, parked 0, spooled 0, left 0; 1 dead letter\(s\) remain in /,
    );
    expect(stderr).toMatch(/^aitdr-dead-letters: 1 of 2 trace\(s\) were not stored; /);
    const db = new Database(storeFile, { readonly: true });
    try {
      const stored = db
        .prepare('SELECT COUNT(*) AS n FROM AI_USER_FEEDBACK WHERE FEEDBACK_TRACE_ID = ?')
        .get(feedback.traceId) as { n: number };
      expect(stored.n).toBe(1);
    } finally {
      db.close();
    }
    // The broken line was skipped, not removed: a person can still read it.
    expect(readFileSync(join(stateDir, 'dead-letter', 'dead-letters.jsonl'), 'utf8')).toContain(
      `${CUT_SHORT}\n`,
    );
    const listed = await run();
    expect(listed.stdout).not.toContain(feedback.traceId);
    expect(listed.stdout).toContain(tooLong.traceId);
    expect(listed.stdout).toMatch(/1 dead letter\(s\) in /);
  });

  it('replays only the traces asked for, and says when there is nothing to replay', async () => {
    const { code, stdout } = await run('--replay', '--trace', feedback.traceId);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^nothing to replay in /);
  });
});
