/**
 * The payload and store sizes of 1,000,000 recorded queries (benchmark 5's size figures at the
 * larger count), run on its own because filling that store takes minutes and about 14 GB of
 * disk: `npx pnpm@12.4.2 run bench -- --sizes`. The harness keeps its figures in
 * bench/results.json with the date of this run and carries them over in later full runs.
 *
 * - Store: a SQLite file filled as benchmark 5 fills its own (the exporter's rows of recorded
 *   traces, each query under IDs of its own and with its own question text), in transactions of
 *   5,000 queries, then switched to WAL as the exporter leaves it; its size on disk is measured.
 * - Payload: the OTLP/HTTP protobuf request bodies the official exporter sends for the templates'
 *   traces (counted by a local server), times queries ÷ templates. Every query is a template under
 *   IDs of the same length, so this is the payload of the queries filled, not an extrapolation of a
 *   sample; only the question's suffix `(request i)`, in the store and not in the payload, differs.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { byMode, log, modeFromArgs } from '../harness/mode.js';
import { emitSizes, fillStore, otlpPayloadBytes, queryTemplates } from './dataset-export-store.js';

const mode = modeFromArgs();
const QUERIES =
  Number(process.env.AITDR_BENCH_SIZE_QUERIES ?? 0) ||
  byMode(mode, { full: 1_000_000, quick: 1_000_000, smoke: 2_000 });
const BENCH = '5 dataset export';

async function main(): Promise<void> {
  const directory = createTemporaryDirectory('aitdr-bench-store-size-');
  try {
    const { templates, spans } = await queryTemplates();
    const payloadPerQuery = (await otlpPayloadBytes(spans)) / templates.length;
    const filename = join(directory.path, 'large.db');
    const started = performance.now();
    const cpu = process.cpuUsage();
    fillStore(filename, templates, QUERIES);
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - started) / 1000;
    const store = statSync(filename).size;
    log(
      `store size: ${QUERIES} queries filled in ${seconds.toFixed(0)} s, ${(store / 1024 ** 2).toFixed(0)} MiB`,
    );
    emitSizes(
      BENCH,
      'large.',
      QUERIES,
      { payload: payloadPerQuery * QUERIES, store },
      {
        payload: `the ${templates.length} templates' request bodies × ${QUERIES / templates.length} (every query is a template under new IDs of the same length)`,
        store: `filled in ${seconds.toFixed(0)} s (${((used.user + used.system) / 1e6).toFixed(0)} s CPU), transactions of 5,000 queries, then WAL`,
      },
    );
  } finally {
    directory.remove();
  }
}

await main();
