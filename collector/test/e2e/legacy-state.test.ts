/**
 * State an earlier version kept in the old default place (data/collector, one directory for every
 * store) is not silently forgotten: a collector started with today's defaults says where it is.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTs } from '@aitdr/tests/support/child-process.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

describe('state left in the old default spool directory', () => {
  const dir = createTemporaryDirectory('aitdr-legacy-state-');
  afterAll(() => dir.remove());

  it('is named in a warning at start', async () => {
    mkdirSync(join(dir.path, 'data', 'collector', 'store', 'spool'), { recursive: true });
    const collector = spawnTs(SERVER, {
      args: ['--port', '0'],
      cwd: dir.path,
      env: { AITDR_LOG_LEVEL: 'info', AITDR_STORE: '', AITDR_COLLECTOR_STATE_DIR: '' },
    });
    try {
      const warning = await collector.line((entry) => entry.level === 40);
      expect(String(warning.msg)).toMatch(
        /earlier version's collector state is in \.\/data\/collector: .*--state-dir \.\/data\/collector/,
      );
    } finally {
      collector.child.kill('SIGTERM');
      await collector.exited;
    }
  }, 60_000);
});
