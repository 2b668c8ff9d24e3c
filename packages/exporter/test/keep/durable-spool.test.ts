import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolFullError } from '@aitdr/conventions';
import { DurableSpool } from '@aitdr/exporter';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const crashScript = fileURLToPath(new URL('../support/spool-crash.ts', import.meta.url));
const text = (records: { data: Buffer }[]) => records.map((r) => r.data.toString());

describe('DurableSpool', () => {
  let dir: { path: string; remove(): void };
  let spool: DurableSpool | undefined;

  beforeEach(() => {
    dir = createTemporaryDirectory('aitdr-spool-');
  });
  afterEach(async () => {
    await spool?.close().catch(() => undefined);
    spool = undefined;
    dir.remove();
  });

  const open = async (options: { maxBytes?: number; segmentBytes?: number } = {}) => {
    spool = await DurableSpool.open({
      directory: dir.path,
      maxBytes: options.maxBytes ?? 1 << 20,
      ...options,
    });
    return spool;
  };

  it('reads records back in order and forgets what is acknowledged', async () => {
    const s = await open();
    expect(await s.append(['a', 'b'])).toEqual([1, 2]);
    expect(await s.append([Buffer.from('c')])).toEqual([3]);
    expect(s.records).toBe(3);
    expect(text(await s.read({ records: 2 }))).toEqual(['a', 'b']);
    await s.acknowledge(2);
    expect(s.records).toBe(1);
    expect(text(await s.read())).toEqual(['c']);
    await s.acknowledge(3);
    expect(s.records).toBe(0);
    expect(s.bytes).toBe(0);
    expect(await s.read()).toEqual([]);
    // Once everything is done no segment file is left.
    expect((await readdir(dir.path)).filter((f) => f.endsWith('.seg'))).toEqual([]);
  });

  it('keeps every record when an acknowledgement cannot be written (a full disk), and forgets nothing later', async () => {
    const s = await open();
    await s.append(['one', 'two', 'three']);
    await s.read();
    // The head file cannot be written: its name is taken by a directory.
    const blocker = join(dir.path, 'head');
    await mkdir(blocker);
    await expect(s.acknowledge(1)).rejects.toThrow();
    await rmdir(blocker);
    expect(s.records).toBe(3);
    await s.acknowledge(2);
    expect(s.records).toBe(1);
    expect(text(await s.read())).toEqual(['three']);
    await s.close();
    expect(text(await (await open()).read())).toEqual(['three']);
  });

  it('refuses an append that would pass its byte limit, keeping none of it', async () => {
    const s = await open({ maxBytes: 100 });
    await s.append(['x'.repeat(40)]);
    await expect(s.append(['y'.repeat(30), 'z'.repeat(30)])).rejects.toBeInstanceOf(SpoolFullError);
    expect(s.records).toBe(1);
    expect(s.bytes).toBe(56); // 16 bytes of framing + 40
    await s.acknowledge(1);
    await s.append(['y'.repeat(30)]);
    expect(text(await s.read())).toEqual(['y'.repeat(30)]);
  });

  it('replays what a killed process left, from the oldest unacknowledged record', async () => {
    // Another process appends three records, acknowledges one and is killed (its lock left behind).
    const crashed = spawnSync(
      process.execPath,
      ['--conditions=aitdr-source', '--import', 'tsx', crashScript, dir.path, 'one', 'two', 'three'],
      { encoding: 'utf8' },
    );
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const second = await open();
    expect(second.records).toBe(2);
    expect(text(await second.read())).toEqual(['two', 'three']);
    expect(await second.append(['four'])).toEqual([4]);
  });

  it('drops a torn write at the end of the last segment on open', async () => {
    const s = await open();
    await s.append(['kept']);
    await s.close();
    spool = undefined;
    const [segment] = (await readdir(dir.path)).filter((f) => f.endsWith('.seg'));
    const path = join(dir.path, segment!);
    const size = (await stat(path)).size;
    await appendFile(path, Buffer.from([9, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0])); // half a header
    const reopened = await open();
    expect(text(await reopened.read())).toEqual(['kept']);
    expect((await stat(path)).size).toBe(size);
    expect(await reopened.append(['next'])).toEqual([2]);
    expect(text(await reopened.read())).toEqual(['kept', 'next']);
  });

  it('rolls over to new segments and deletes those fully acknowledged', async () => {
    const s = await open({ segmentBytes: 64 });
    for (const word of ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']) {
      await s.append([word.repeat(4)]);
    }
    const segments = async () => (await readdir(dir.path)).filter((f) => f.endsWith('.seg')).length;
    expect(await segments()).toBe(3);
    const firstFour = await s.read({ records: 4 });
    await s.acknowledge(firstFour.at(-1)!.sequence);
    expect(await segments()).toBe(1);
    expect(text(await s.read()).map((w) => w.slice(0, 4))).toEqual(['echo', 'foxt']);
    // The head survives a restart.
    await s.close();
    const reopened = await open({ segmentBytes: 64 });
    expect(reopened.records).toBe(2);
    expect(text(await reopened.read({ bytes: 1 }))).toHaveLength(1);
  });

  it('reads records larger than its read chunk, and many across chunk boundaries', async () => {
    const s = await open({ maxBytes: 64 << 20 });
    const big = 'B'.repeat(3 << 20);
    const small = Array.from({ length: 3000 }, (_, i) => `${i}:`.padEnd(1000, 'x'));
    await s.append([big]);
    await s.append(small);
    const [first] = await s.read({ records: 1 });
    expect(first!.data.toString()).toBe(big);
    await s.acknowledge(first!.sequence);
    expect(text(await s.read())).toEqual(small);
  });

  it('refuses a second open of the same directory in one process', async () => {
    await open();
    await expect(DurableSpool.open({ directory: dir.path, maxBytes: 1000 })).rejects.toThrow(/already open/);
  });
});
