import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { RecordSpool } from '../../src/export/record-spool.js';

describe('RecordSpool', () => {
  it('gives back every record in order: many, multi-byte text, and records larger than its buffer', async () => {
    const directory = createTemporaryDirectory('aitdr-spool-');
    try {
      const path = join(directory.path, 'records.spool');
      const spool = await RecordSpool.create<[number, string]>(path);
      const records: [number, string][] = [];
      for (let i = 0; i < 20_000; i++) records.push([i, `question ${i} café ☃ \ud83d\ude00 "quoted"\n`]);
      // 1.5 and 5 MiB of text: longer than the 1 MiB read buffer, so it must grow.
      records.splice(7_000, 0, [-1, 'é'.repeat(800_000)], [-2, 'x'.repeat(5 << 20)]);
      for (const record of records) await spool.add(record);
      const read: [number, string][] = [];
      for await (const record of spool.records()) read.push(record);
      expect(read).toEqual(records);
      await spool.remove();
      expect(existsSync(path)).toBe(false);
    } finally {
      directory.remove();
    }
  });
});
