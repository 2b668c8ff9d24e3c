// The installed collector started on a SQLite store: for the checks that it refuses to start.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

/** Runs the collector on `store`, asserts it exited 2 (start refused), and returns its stderr. */
export function collectorRefusesToStart(store) {
  const collector = spawnSync(
    process.execPath,
    ['node_modules/@aitdr/collector/dist/server.js', '--store', store, '--port', '0'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(collector.status, 2, `collector exit code (stderr: ${collector.stderr})`);
  return collector.stderr;
}
