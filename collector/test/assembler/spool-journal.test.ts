import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpoolJournal } from '../../src/assembler/spool-journal.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

describe('SpoolJournal', () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));
  const directory = () => {
    const dir = createTemporaryDirectory('aitdr-journal-');
    dirs.push(dir);
    return join(dir.path, 'intake');
  };
  const replayed = async (journal: SpoolJournal) => {
    const records: string[] = [];
    for await (const { payload } of journal.replay()) records.push(payload.toString());
    return records;
  };

  it('keeps what was appended and not acknowledged across a reopen, in order', async () => {
    const path = directory();
    const journal = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    const ids = await Promise.all(['a', 'b', 'c'].map((text) => journal.append(Buffer.from(text))));
    await journal.acknowledge(ids[0]!);
    await journal.close();
    const reopened = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    expect(await replayed(reopened)).toEqual(['b', 'c']);
    await reopened.close();
  });

  it('releases a record acknowledged out of order only once every older one is done', async () => {
    const path = directory();
    const journal = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((text) => journal.append(Buffer.from(text))));
    await journal.acknowledge(c!);
    await journal.acknowledge(b!);
    await journal.close();
    let reopened = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    expect(await replayed(reopened)).toEqual(['a', 'b', 'c']); // 'a' still open holds the rest
    await reopened.acknowledge(a!);
    await reopened.close();
    reopened = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    expect(await replayed(reopened)).toEqual(['b', 'c']); // acknowledgements before the reopen are not remembered
    await reopened.close();
  });

  it('refuses an append that does not fit, reports itself full, and recovers when space is freed', async () => {
    const journal = await SpoolJournal.open({ directory: directory(), maxBytes: 100 });
    const first = await journal.append(Buffer.alloc(60));
    await expect(journal.append(Buffer.alloc(60))).rejects.toThrow(/is full/);
    expect(journal.full).toBe(true);
    await journal.acknowledge(first);
    expect(journal.full).toBe(false);
    await journal.append(Buffer.alloc(60));
    await journal.close();
  });

  it('writes concurrent appends together, in the order they were made', async () => {
    const path = directory();
    const journal = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    const texts = Array.from({ length: 50 }, (_, i) => `record ${i}`);
    const ids = await Promise.all(texts.map((text) => journal.append(Buffer.from(text))));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    await journal.close();
    const reopened = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    expect(await replayed(reopened)).toEqual(texts);
    await reopened.close();
  });

  it('writes a burst of requests with one fsync and acknowledges them with one more, in any order', async () => {
    const path = directory();
    const journal = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    // The segment and head files exist from here on (made once, with a directory sync each).
    const [first, second] = await Promise.all(['first', 'second'].map((t) => journal.append(Buffer.from(t))));
    await journal.acknowledge(first!);
    let before = journal.syncs;
    const bodies = Array.from({ length: 20 }, (_, i) => [Buffer.from([1]), Buffer.from(`request ${i}`)]);
    const ids = await Promise.all(bodies.map((parts) => journal.append(parts)));
    expect(journal.syncs - before).toBe(1);
    before = journal.syncs;
    await Promise.all([...ids.slice(10)].reverse().map((id) => journal.acknowledge(id)));
    expect(journal.syncs - before).toBe(0); // older ones are still outstanding
    await Promise.all([second!, ...ids.slice(0, 9)].map((id) => journal.acknowledge(id)));
    expect(journal.syncs - before).toBe(1);
    await journal.close();
    const reopened = await SpoolJournal.open({ directory: path, maxBytes: 1 << 20 });
    // Everything after the one request still outstanding is replayed, its bytes as written.
    expect(await replayed(reopened)).toEqual(ids.slice(9).map((_, i) => `\u0001request ${i + 9}`));
    await reopened.close();
  });
});
