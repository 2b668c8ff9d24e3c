/**
 * Benchmark 5: the fine-tuning dataset export (issue 6's `aitdr-export`), on a SQLite store
 * holding 200,000 recorded queries, each with feedback: queries per second and the export
 * process's peak RSS (VmHWM, read from /proc while it runs).
 *
 * The store is filled directly with the rows the exporter's mapper makes of recorded traces
 * (each query under its own IDs and with its own question text, so no two are duplicates);
 * filling is set-up, not measured. While the export CLI is not in the tree, the figures are
 * printed without values and say so.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { RowValue } from '@aitdr/exporter/internals';
import { AI_TRAINING_QUERIES, TABLES, schemaInstallStatements } from '@aitdr/schema';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { SOURCE_EXEC_ARGV, residentSet } from '../harness/child-process.js';
import { emitFigure } from '../harness/figures.js';
import { byMode, log, modeFromArgs, waitForGo } from '../harness/mode.js';
import { insertColumns, mapStream } from '../raw/mapped-rows.js';
import type { TraceRows } from '../raw/mapped-rows.js';
import { loadQueryShapes } from '../workload/realistic-queries.js';
import { newTraceId } from '../workload/retrace.js';
import { recordTraceStream } from '../workload/trace-stream.js';

const mode = modeFromArgs();
const QUERIES = byMode(mode, { full: 200_000, quick: 20_000, smoke: 300 });
const BENCH = '5 dataset export';
/** The export CLI of issue 6, run from source as `npm run export` does. */
const EXPORT_CLI = fileURLToPath(new URL('../../../packages/cli/src/bin/export.ts', import.meta.url));
const MiB = 1024 * 1024;

/** Query i: the template's rows with the template's IDs and question replaced by its own. */
function fillStore(filename: string, templates: readonly [TraceRows, TraceRows][], queries: number): void {
  const database = new Database(filename);
  try {
    // Set-up, not measured: no journal and no fsync while filling; WAL (the exporter's mode) after.
    database.pragma('journal_mode = OFF');
    database.pragma('synchronous = OFF');
    database.pragma('foreign_keys = ON');
    for (const statement of schemaInstallStatements('sqlite')) database.exec(statement);
    const statements = new Map(
      TABLES.map((table) => {
        const columns = insertColumns(table);
        const sql = `INSERT INTO ${table.name} (${columns.map((c) => c.name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
        return [table, database.prepare(sql)] as const;
      }),
    );
    const queryIdAt = insertColumns(AI_TRAINING_QUERIES).findIndex((c) => c.name === 'QUERY_ID');
    const textAt = insertColumns(AI_TRAINING_QUERIES).findIndex((c) => c.name === 'QUERY_TEXT');
    const insertBatch = database.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const [queryRows, feedbackRows] = templates[i % templates.length]!;
        const templateQueryRow = queryRows.get(AI_TRAINING_QUERIES)![0]!;
        const templateQueryId = templateQueryRow[queryIdAt] as string;
        const templateText = templateQueryRow[textAt] as string;
        const queryId = newTraceId();
        const feedbackTraceId = newTraceId();
        const templateFeedbackTraceId = [...feedbackRows.values()][0]![0]!.find(
          (value) => typeof value === 'string' && value.length === 32 && value !== templateQueryId,
        );
        const substitute = (value: RowValue): RowValue => {
          if (value === templateQueryId) return queryId;
          if (value === templateFeedbackTraceId) return feedbackTraceId;
          if (value === templateText) return `${templateText} (request ${i})`;
          return typeof value === 'boolean' ? (value ? 1 : 0) : value;
        };
        for (const rows of [queryRows, feedbackRows]) {
          for (const [table, tableRows] of rows) {
            for (const row of tableRows) statements.get(table)!.run(...row.map(substitute));
          }
        }
      }
    });
    for (let from = 0; from < queries; from += 5000) insertBatch(from, Math.min(queries, from + 5000));
    database.pragma('journal_mode = WAL');
  } finally {
    database.close();
  }
}

async function runExport(
  store: string,
  out: string,
): Promise<{ seconds: number; peakRss: number; code: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...SOURCE_EXEC_ARGV, EXPORT_CLI, '--store', store, '--out', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peakRss = 0;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    residentSet(child.pid).then(
      ({ peak }) => (peakRss = Math.max(peakRss, peak)),
      () => undefined, // exited between two reads
    );
  }, 100);
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  clearInterval(poll);
  return { seconds: (performance.now() - started) / 1000, peakRss, code };
}

async function main(): Promise<void> {
  if (!existsSync(EXPORT_CLI)) {
    const note = 'pending: the dataset export CLI (issue 6) is not in this tree yet';
    log(`dataset export: ${note}`);
    await waitForGo();
    for (const [figure, label, unit] of [
      [
        'export.queries_per_s',
        `Export of ${QUERIES.toLocaleString('en')} recorded queries, SQLite`,
        'queries/s',
      ],
      ['export.peak_rss_mib', 'Peak RSS of the export process', 'MiB'],
    ] as const) {
      emitFigure({ benchmark: BENCH, figure, label, value: null, unit, note });
    }
    return;
  }
  const directory = createTemporaryDirectory('aitdr-bench-export-');
  try {
    const shapes = await loadQueryShapes();
    const stream = await recordTraceStream(shapes, shapes.length, { feedbackLag: 0, feedbackEvery: 1 });
    const traces = mapStream(stream.spans);
    const templates: [TraceRows, TraceRows][] = [];
    for (let i = 0; i + 1 < traces.length; i += 2) templates.push([traces[i]!, traces[i + 1]!]);
    const filename = join(directory.path, 'training.db');
    const filling = performance.now();
    fillStore(filename, templates, QUERIES);
    log(
      `dataset export: store filled with ${QUERIES} queries in ${((performance.now() - filling) / 1000).toFixed(1)} s ` +
        `(${(statSync(filename).size / MiB).toFixed(0)} MiB)`,
    );
    await waitForGo();
    const out = join(directory.path, 'dataset');
    const result = await runExport(`sqlite:${filename}`, out);
    const manifestPath = join(out, 'manifest.json');
    const counts = existsSync(manifestPath)
      ? (
          JSON.parse(readFileSync(manifestPath, 'utf8')) as {
            counts?: { examples?: number; queries?: number };
          }
        ).counts
      : undefined;
    const summary = `${counts?.examples ?? 0} examples written from ${counts?.queries ?? 0} queries read; store ${(statSync(filename).size / MiB).toFixed(0)} MiB`;
    log(`dataset export: exit ${result.code} after ${result.seconds.toFixed(1)} s; ${summary}`);
    const failed = result.code !== 0 ? `the export exited with ${result.code}` : undefined;
    emitFigure({
      benchmark: BENCH,
      figure: 'export.queries_per_s',
      label: `Export of ${QUERIES.toLocaleString('en')} recorded queries, SQLite (wall time, process start included)`,
      value: failed ? null : QUERIES / result.seconds,
      unit: 'queries/s',
      note: failed ?? summary,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'export.peak_rss_mib',
      label: 'Peak RSS of the export process',
      value: failed ? null : result.peakRss / MiB,
      unit: 'MiB',
      ...(failed ? { note: failed } : {}),
    });
  } finally {
    directory.remove();
  }
}

await main();
