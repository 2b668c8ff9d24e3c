/**
 * Two collector processes started together on one spool directory: exactly one runs, every time;
 * the other exits 1 naming the process that holds the directory.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTs } from '@aitdr/tests/support/child-process.js';
import type { TsProcess } from '@aitdr/tests/support/child-process.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));
const TRIES = 4;

/** Resolves with 'started' or the exit code, whichever comes first. */
function outcome(collector: TsProcess): Promise<number | string> {
  return Promise.race([
    collector.line((entry) => entry.msg === 'collector started').then(() => 'started' as const),
    collector.exited,
  ]).catch(() => collector.exited);
}

describe('collectors on one spool directory', () => {
  const dir = createTemporaryDirectory('aitdr-two-collectors-');
  afterAll(() => dir.remove());

  it(`lets exactly one of two started together run, ${TRIES} times`, async () => {
    for (let round = 0; round < TRIES; round++) {
      const args = [
        '--port',
        '0',
        '--store',
        `sqlite:${join(dir.path, 'training.db')}`,
        '--state-dir',
        join(dir.path, 'spool'),
      ];
      const collectors = [0, 1].map(() => spawnTs(SERVER, { args, env: { AITDR_LOG_LEVEL: 'info' } }));
      const outcomes = await Promise.all(collectors.map(outcome));
      expect(
        outcomes.filter((o) => o === 'started'),
        `round ${round}: ${outcomes.join(', ')}`,
      ).toHaveLength(1);
      const winner = collectors[outcomes.indexOf('started')]!;
      const loser = collectors[outcomes.findIndex((o) => o !== 'started')]!;
      expect(await loser.exited).toBe(1);
      expect(loser.stderr()).toContain(`in use by process ${winner.child.pid}`);
      winner.child.kill('SIGTERM');
      expect(await winner.exited, `round ${round}: ${winner.stderr()}`).toBe(0);
    }
  }, 240_000);
});
