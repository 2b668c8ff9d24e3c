/**
 * Group commit in the durable spool, which the exporter's spool and parking lot and the
 * collector's journal share: a burst of appends is one fsync, a burst of acknowledgements one
 * head write with one fsync; a crash between acknowledgements replays from the last durable one.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableSpool } from '@aitdr/exporter';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const crashScript = fileURLToPath(new URL('../support/spool-crash-acks.ts', import.meta.url));
const text = (records: { data: Buffer }[]) => records.map((r) => r.data.toString());

describe('DurableSpool group commit', () => {
  let dir: { path: string; remove(): void };
  let spool: DurableSpool | undefined;
  beforeEach(() => {
    dir = createTemporaryDirectory('aitdr-group-commit-');
  });
  afterEach(async () => {
    await spool?.close().catch(() => undefined);
    spool = undefined;
    dir.remove();
  });
  const open = async () => (spool = await DurableSpool.open({ directory: dir.path, maxBytes: 1 << 20 }));

  it('writes a burst of appends with one fsync and acknowledges a burst with one more', async () => {
    const s = await open();
    // The segment file and the head file exist from here on (their creation syncs the directory once).
    await s.append(['a', 'b']);
    await s.acknowledge(1);
    let before = s.syncs;
    const burst = Array.from({ length: 20 }, (_, i) => `record ${i}`);
    const sequences = await Promise.all(burst.map((record) => s.append([record])));
    expect(sequences.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    expect(s.syncs - before).toBe(1);

    await s.read();
    before = s.syncs;
    // Each acknowledgement used to be a head.json rewrite with two fsyncs: 40 for this burst.
    await Promise.all(sequences.slice(0, 19).map(([sequence]) => s.acknowledge(sequence!)));
    expect(s.syncs - before).toBe(1);
    expect(text(await s.read())).toEqual(['record 19']);
    await s.close();
    expect(text(await (await open()).read())).toEqual(['record 19']);
  });

  it('refuses only the append of a burst that does not fit, writing the others', async () => {
    spool = await DurableSpool.open({ directory: dir.path, maxBytes: 100 });
    const results = await Promise.allSettled([
      spool.append(['x'.repeat(30)]),
      spool.append(['y'.repeat(60)]),
      spool.append(['z'.repeat(30)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(text(await spool.read()).map((r) => r[0])).toEqual(['x', 'z']);
  });

  it('writes a payload given in parts as one record', async () => {
    const s = await open();
    await s.append([[Buffer.from([1]), Buffer.from('body')], 'text']);
    const [first, second] = await s.read();
    expect(first!.data).toEqual(Buffer.concat([Buffer.from([1]), Buffer.from('body')]));
    expect(second!.data.toString()).toBe('text');
    await s.close();
    expect(text(await (await open()).read())).toEqual(['\u0001body', 'text']);
  });

  it('replays from the last durable acknowledgement after a crash between acknowledgements', async () => {
    const crashed = spawnSync(
      process.execPath,
      [
        '--conditions=aitdr-source',
        '--import',
        'tsx',
        crashScript,
        dir.path,
        'one',
        'two',
        'three',
        'four',
        'five',
        'six',
      ],
      { encoding: 'utf8' },
    );
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    // One burst of appends (1, plus the new segment's directory sync), two acknowledgement groups
    // (1 each, plus the new head file's directory sync).
    expect(Number(crashed.stdout.trim())).toBe(5);
    const reopened = await open();
    expect(text(await reopened.read())).toEqual(['five', 'six']);
    await reopened.close();

    // A crash tearing the newest head slot loses that acknowledgement, never a record: the
    // records after the previous head are read again.
    const head = join(dir.path, 'head');
    const bytes = await readFile(head);
    bytes.fill(0xff, 16, 24);
    await writeFile(head, bytes);
    const afterTear = await open();
    expect(text(await afterTear.read())).toEqual(['three', 'four', 'five', 'six']);
    expect(await afterTear.append(['seven'])).toEqual([7]);
  });

  it('takes up a spool whose head an earlier version kept in head.json', async () => {
    let s = await open();
    await s.append(['one', 'two', 'three']);
    await s.close();
    await writeFile(join(dir.path, 'head.json'), JSON.stringify({ sequence: 2 }));
    s = await open();
    expect(text(await s.read())).toEqual(['two', 'three']);
    await s.acknowledge(2);
    await s.close();
    s = await open();
    expect(text(await s.read())).toEqual(['three']);
  });
});
