// Run in the consumer app while better-sqlite3's native part is one built for another Node.js:
// the collector and createRecorder must refuse to start, naming the package, instead of
// answering 200 and dead-lettering every trace.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createRecorder } from '@aitdr/sdk';

const builtElsewhere = /NODE_MODULE_VERSION|compiled against a different Node/;

await assert.rejects(
  createRecorder({ store: 'sqlite:./misbuilt-driver.db' }),
  (error) => error.name === 'DriverUnavailableError' && builtElsewhere.test(error.message),
  'createRecorder says the driver was built for another Node.js',
);

const collector = spawnSync(
  process.execPath,
  ['node_modules/@aitdr/collector/dist/server.js', '--store', 'sqlite:./misbuilt-driver.db', '--port', '0'],
  { encoding: 'utf8', timeout: 60_000 },
);
assert.equal(collector.status, 2, `collector exit code (stderr: ${collector.stderr})`);
assert.match(collector.stderr, /better-sqlite3/);
assert.match(collector.stderr, builtElsewhere);
console.log('driver built for another Node.js: createRecorder and the collector refuse to start');
