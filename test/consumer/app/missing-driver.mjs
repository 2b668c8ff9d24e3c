// Run in the consumer app before better-sqlite3 is installed: a store whose driver is missing
// must stop createRecorder and the collector's start with the package to install.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createRecorder } from '@aitdr/sdk';

await assert.rejects(
  createRecorder({ store: 'sqlite:./missing-driver.db' }),
  (error) => /better-sqlite3/.test(error.message) && /npm install better-sqlite3/.test(error.message),
  'createRecorder names the missing driver',
);

const collector = spawnSync(
  process.execPath,
  ['node_modules/@aitdr/collector/dist/server.js', '--store', 'sqlite:./missing-driver.db', '--port', '0'],
  { encoding: 'utf8', timeout: 60_000 },
);
assert.equal(collector.status, 2, `collector exit code (stderr: ${collector.stderr})`);
assert.match(collector.stderr, /npm install better-sqlite3/);
console.log('missing driver: createRecorder and the collector name better-sqlite3');
