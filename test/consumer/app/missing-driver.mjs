// Run in the consumer app before better-sqlite3 is installed: a store whose driver is missing
// must stop createRecorder and the collector's start with the package to install.
import assert from 'node:assert/strict';
import { createRecorder } from '@aitdr/sdk';
import { collectorRefusesToStart } from './refused-start.mjs';

await assert.rejects(
  createRecorder({ store: 'sqlite:./missing-driver.db' }),
  (error) => /better-sqlite3/.test(error.message) && /npm install better-sqlite3/.test(error.message),
  'createRecorder names the missing driver',
);

// The app installed the protobuf exporter only: JSON needs the other one, and says so.
await assert.rejects(
  createRecorder({ collector: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/json' } }),
  (error) =>
    error.name === 'MissingPackageError' && error.packageName === '@opentelemetry/exporter-trace-otlp-http',
  'createRecorder names the missing OTLP exporter',
);

const stderr = collectorRefusesToStart('sqlite:./missing-driver.db');
assert.match(stderr, /npm install better-sqlite3/);
console.log(
  'missing packages: createRecorder names better-sqlite3 and the OTLP/JSON exporter; the collector names better-sqlite3',
);
