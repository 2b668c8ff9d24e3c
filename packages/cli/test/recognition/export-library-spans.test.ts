/**
 * Queries whose model and database calls only an instrumentation library traced (no
 * `text_to_sql.sql.interaction_id`) become training examples through the inferred link, and the
 * export names the real reason when one still cannot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR_STAGE } from '@aitdr/conventions';
import { createTableExporter } from '@aitdr/exporter';
import { runExportCommand } from '@aitdr/cli';
import { createTemporaryDirectory } from '../../../../test/support/temp-dir.js';
import { TraceRecorder, at } from '../../../exporter/test/support/traces.js';
import {
  ANSWER_SQL,
  openInferenceSpan,
  pgCurrentSpan,
} from '../../../exporter/test/support/library-spans.js';
import { runCommand } from '../support/run-command.js';
import type { CommandOutput } from '../support/run-command.js';

/** A query with its schema context stage and, under the query, only library spans. */
function libraryOnlyQuery(recorder: TraceRecorder, question: string, answered: boolean): void {
  const root = recorder.start('text_to_sql.query', {
    attributes: { [ATTR_STAGE]: 'query', 'text_to_sql.query.text': question },
    startTime: at(0),
  });
  const context = recorder.start('text_to_sql.schema_context', {
    parent: root,
    attributes: {
      [ATTR_STAGE]: 'schema_context',
      'text_to_sql.schema_context.text': 'CREATE TABLE SCRAP (LINE_ID INTEGER, QTY INTEGER)',
    },
    startTime: at(1),
  });
  context.end(at(2));
  // Unanswered: the model replied in words, with no SQL to be found in its response.
  openInferenceSpan(recorder, {
    parent: root,
    startMs: 10,
    ...(answered ? {} : { answer: 'I cannot tell from this schema.' }),
  });
  pgCurrentSpan(recorder, { parent: root, startMs: 30, sql: 'SELECT 1' });
  root.end(at(100));
}

describe('aitdr-export on a store of library spans', () => {
  const dir = createTemporaryDirectory('aitdr-recognition-export-');
  const store = `sqlite:${join(dir.path, 'training.db')}`;
  let output: CommandOutput;

  beforeAll(async () => {
    const recorder = new TraceRecorder();
    libraryOnlyQuery(recorder, 'total scrap by line', true);
    libraryOnlyQuery(recorder, 'which line scrapped least', false);
    const exporter = createTableExporter({ store, stateDirectory: join(dir.path, 'state') });
    await exporter.writeTraces(recorder.take(), { require: 'committed' });
    await exporter.shutdown();
    output = await runCommand(runExportCommand, ['--store', store, '--out', join(dir.path, 'out')]);
  });

  afterAll(() => dir.remove());

  it('counts the example whose execution was linked by inference, with the SQL from the response', () => {
    expect(output.code, output.stderr).toBe(0);
    expect(output.stdout).toMatch(/^Exported 1 examples/);
    const lines = ['train.jsonl', 'validation.jsonl']
      .flatMap((name) => readFileSync(join(dir.path, 'out', name), 'utf8').split('\n'))
      .filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(ANSWER_SQL);
  });

  it('names the real reason for the other: SQL ran, but its model interaction recorded none', () => {
    expect(output.stdout).toContain(
      'Skipped: 1 SQL ran, but the model interaction it links to recorded no generated SQL.',
    );
    expect(output.stdout).not.toContain('no SQL ran');
  });
});
