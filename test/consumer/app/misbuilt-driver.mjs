// Run in the consumer app while better-sqlite3's native part is one built for another Node.js:
// the collector and createRecorder must refuse to start, naming the package, instead of
// answering 200 and dead-lettering every trace.
import assert from 'node:assert/strict';
import { createRecorder } from '@aitdr/sdk';
import { collectorRefusesToStart } from './refused-start.mjs';

const builtElsewhere = /NODE_MODULE_VERSION|compiled against a different Node/;

await assert.rejects(
  createRecorder({ store: 'sqlite:./misbuilt-driver.db' }),
  (error) => error.name === 'DriverUnavailableError' && builtElsewhere.test(error.message),
  'createRecorder says the driver was built for another Node.js',
);

const stderr = collectorRefusesToStart('sqlite:./misbuilt-driver.db');
assert.match(stderr, /better-sqlite3/);
assert.match(stderr, builtElsewhere);
console.log('driver built for another Node.js: createRecorder and the collector refuse to start');
