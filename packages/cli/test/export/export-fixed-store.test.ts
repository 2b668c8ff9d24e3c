/**
 * The export writes, byte for byte, what the export that held every example in memory wrote: the
 * hashes below are the files that version (commit 4d4c9a5's export code) wrote on this fixed
 * store. The spool, the streamed Parquet row groups and the view read once change nothing a user
 * receives (the view's own answers are compared with version 1's in test/schema).
 * The store holds 3,000 queries; one case writes more than the first Parquet row group (1,000).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExportCommand } from '@aitdr/cli';
import type { ExportManifest } from '@aitdr/cli';
import { createTemporaryDirectory } from '../../../../test/support/temp-dir.js';
import { writeFixedStore } from '../support/fixed-store.js';
import { runCommand } from '../support/run-command.js';

const CASES = [
  {
    name: 'defaults',
    args: [],
    datasetId: 'aitdr-d1b9e25fe1e4df95',
    examples: 211,
    files: {
      'README.md': 'a962cd818ee0629c65b633bad1fade0d79a1faf1fe2f4067696cdaf0442d25e9',
      'dpo-train.jsonl': '02dfb31e4cff868a2259ff64ee754ed87f3ac06a0334acba8e54c1997fb662fa',
      'dpo-train.parquet': '657022e638d46ecf209c532fb459f6a5b579566f7be077d8434faa8b48e681bb',
      'dpo-validation.jsonl': '02ed58f8e2edf4d7c608cd9fd690b0b3ed6d594536ad79e1f841e64a5c543b83',
      'dpo-validation.parquet': '4ba726387b53f8f3a815d9adde1e80c9ed93d072b06899307f37f5ce0757a31a',
      'preference-train.jsonl': '344a4955d30ef7d4bcc94c8f9f6bc34dd74850a8a85451f8cebe6b1fa49d7160',
      'preference-validation.jsonl': '2af8466ad3601bab43fc65038663a7becc78cbe94ae30a048151f21c2b44a09d',
      'train.jsonl': 'dcb5433c50c4c2f063693ac27b616082a63f0d4d3429a7d174c0f569920bd845',
      'train.parquet': 'cd3a2e6d7b056c2de0903e07159cfcb81d971e0e99f65edb54b122fb273e4f62',
      'validation.jsonl': 'cbbaeaa9d55fdce244cc6d109755d3cfcfd0787785e60152ab7a2c7d56dcf0b6',
      'validation.parquet': 'a2da67ebe5cb81ea6e6df5f185af6d0834bf8e6fc641711f5ebe3efdbf24b7b7',
    },
  },
  {
    name: 'other',
    args: [
      '--format',
      'completion',
      '--no-dedupe',
      '--validation-ratio',
      '0.3',
      '--seed',
      '7',
      '--missing-schema',
      'no-schema-prompt',
    ],
    datasetId: 'aitdr-374371eac4790381',
    examples: 1964,
    files: {
      'README.md': '0b757d1c5d27fb48a779ef6c62ed5edb5669387664c51751e4e6bbaa80d23ac9',
      'dpo-train.jsonl': 'f88a226b7cceff048cb2b65f2a1ea57b02d3d5fc93e1e2a06eb23aa06e353218',
      'dpo-train.parquet': '6ebe974b342fa38f645510fed7a189ef6a29701960fe55a58d08a5ecb0d29271',
      'dpo-validation.jsonl': '60e9e21ae9e97b47cdf326a94bf655158d59df10a4d502ef99701f679bb5d5b0',
      'dpo-validation.parquet': '1cffc5375e1a3dd171a4f56f5068b2413a4dd167f60659c02d73b589d9c4133e',
      'preference-train.jsonl': '546c90620082b6f7094c5badf32a9848b7099bea07385bef470521f191598166',
      'preference-validation.jsonl': 'f1830ecf5d06665b13a0fdd122166764d910f4460edbd4c979c3a70fadb8b6bf',
      'train.jsonl': '959ca1a8ca793643582e413595d5c81a2600abbf7effeb4aa395fd321b9b0668',
      'train.parquet': '8e173f74acf709cda2b2073c194b762c48196907475fef3f9486b10a5da104f9',
      'validation.jsonl': 'bd243d12d604e6b5c991a718cadaa52e4492415b4ab3e6080b21bd706ab8ef77',
      'validation.parquet': '640c6af430815da24329debed668a073eee1fd5f4590f9d98ae984f167f5a155',
    },
  },
  {
    name: 'filtered',
    args: [
      '--source',
      'api',
      '--min-rating',
      '2',
      '--category',
      'category 1,category 3',
      '--from',
      '2026-06-01T01:00:00Z',
    ],
    datasetId: 'aitdr-85135e4ba2bf284c',
    examples: 187,
    files: {
      'README.md': '2c11f17cead2ba0a81355df6e8936424620de3019a083244896067e46c86f9bd',
      'dpo-train.jsonl': '168c0ac3f19ed924314679c13617169c6cb9b9cd1826b4fbc4e3184ca272c20e',
      'dpo-train.parquet': '246592021d84edcaf9b7987995262942b1d1a56a848290d0fb54aa5317fb4bc2',
      'dpo-validation.jsonl': '0f41252783f35ec798992a4d531035c46f3d4e5113913aa19bbd4a546becf4e8',
      'dpo-validation.parquet': 'dfec30437a348ae1c7f0445e96777d9329762904c73b8bb7c712adfc0d78bbdf',
      'preference-train.jsonl': '818a734b133296644db64f01cd499186ded4207d98fe67c6621fba2f0dc64080',
      'preference-validation.jsonl': 'e575be23da8fa253ffe6194cdbfb6e337e1c89660647395dae0d283384f58c49',
      'train.jsonl': 'ccaebe84652cad16f552ec5bff5d8ad211268bdd8baa817702c60e94e14d2fcc',
      'train.parquet': 'b92c1db20311dadb2fcd8beee9920db052943c9f1d618977e0bef7c682418835',
      'validation.jsonl': 'c03b27fbc438e0f898aa0262d1eec7cd6e2b176d8087dca4d2c1ea301589cc86',
      'validation.parquet': 'b17d86f4b077824222ab6e3e7749a311f51f973106e285a8a90e5e00594b794a',
    },
  },
];

describe('the export on a fixed store', () => {
  const dir = createTemporaryDirectory('aitdr-export-fixed-');
  const store = `sqlite:${join(dir.path, 'training.db')}`;
  beforeAll(() => writeFixedStore(join(dir.path, 'training.db'), 3000));
  afterAll(() => dir.remove());

  it.each(CASES)(
    'writes the same bytes as before ($name)',
    async ({ name, args, datasetId, examples, files }) => {
      const out = join(dir.path, name);
      const result = await runCommand(runExportCommand, ['--store', store, '--out', out, ...args]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const written = Object.fromEntries(
        readdirSync(out)
          .filter((file) => file !== 'manifest.json')
          .sort()
          .map((file) => [
            file,
            createHash('sha256')
              .update(readFileSync(join(out, file)))
              .digest('hex'),
          ]),
      );
      expect(written).toEqual(files);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
      expect(manifest.datasetId).toBe(datasetId);
      expect(manifest.counts.examples).toBe(examples);
    },
  );

  it('pairs a correction with the selected answer’s SQL when the SQL that ran links to no answer', async () => {
    const file = join(dir.path, 'unlinked.db');
    writeFixedStore(file, 30);
    const db = new Database(file);
    // Query 14 is corrected and ran the API model's answer, which is also the selected one.
    const { QUERY_ID: queryId, QUERY_TEXT: question } = db
      .prepare('SELECT QUERY_ID, QUERY_TEXT FROM AI_TRAINING_QUERIES ORDER BY QUERY_ID LIMIT 1 OFFSET 14')
      .get() as { QUERY_ID: string; QUERY_TEXT: string };
    db.prepare('UPDATE AI_EXECUTION_RESULTS SET INTERACTION_ID = NULL WHERE QUERY_ID = ?').run(queryId);
    const { GENERATED_SQL: selectedSql } = db
      .prepare(
        `SELECT m.GENERATED_SQL FROM AI_MODEL_INTERACTIONS m JOIN AI_RESPONSE_SELECTIONS s
           ON s.QUERY_ID = m.QUERY_ID AND s.SELECTED_INTERACTION_ID = m.INTERACTION_ID WHERE m.QUERY_ID = ?`,
      )
      .get(queryId) as { GENERATED_SQL: string };
    db.close();
    const out = join(dir.path, 'unlinked');
    const result = await runCommand(runExportCommand, ['--store', `sqlite:${file}`, '--out', out]);
    expect(result.code).toBe(0);
    const pairs = ['dpo-train.jsonl', 'dpo-validation.jsonl']
      .flatMap((name) => readFileSync(join(out, name), 'utf8').split('\n'))
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { prompt: { content: string }[]; rejected: { content: string }[] });
    const pair = pairs.find((p) => p.prompt.at(-1)?.content === question.trim());
    expect(pair?.rejected.at(-1)?.content).toBe(selectedSql);
  });
});
