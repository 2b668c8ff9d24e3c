// The consumer app: records one query with the SDK's helpers and one with plain
// startActiveSpan, into SQLite in-process and through the collector (OTLP over the
// default http/protobuf), then checks the rows in both databases.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRecorder } from '@aitdr/sdk';
import { stageSpanName, toStageAttributes } from '@aitdr/conventions';
import Database from 'better-sqlite3';

const versionOf = (name) => {
  try {
    return JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;
  } catch {
    return 'not installed';
  }
};
const installed = ['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base'];
console.log(`Node ${process.version}; ${installed.map((name) => `${name} ${versionOf(name)}`).join(', ')}`);

const SQL = 'SELECT LINE_ID, SUM(QTY) FROM PRODUCTION GROUP BY LINE_ID';

/** Records the two queries through a recorder; returns their query IDs. */
async function recordBoth(recorder, label) {
  const helpers = await recorder.recordQuery(`${label}: production by line (helpers)`, (query) => {
    query.classification({ category: 'analytics', confidence: 0.9 });
    query.sqlProcessing({ originalSql: SQL, isValid: true });
  });
  // Plain OpenTelemetry on the recorder's provider: no global context manager is registered.
  const tracer = recorder.tracerProvider.getTracer('consumer-app');
  const plainId = await tracer.startActiveSpan(
    stageSpanName('query'),
    { attributes: toStageAttributes('query', { text: `${label}: production by line (plain)` }) },
    async (root) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const attributes = toStageAttributes('sql_processing', { originalSql: SQL, isValid: true });
      tracer.startActiveSpan(stageSpanName('sql_processing', attributes), { attributes }, (child) =>
        child.end(),
      );
      root.end();
      return root.spanContext().traceId;
    },
  );
  return [helpers.queryId, plainId];
}

function rowsOf(file, queryIds) {
  const db = new Database(file, { readonly: true });
  try {
    const marks = queryIds.map(() => '?').join(', ');
    const queries = db
      .prepare(`SELECT QUERY_ID, QUERY_TEXT FROM AI_TRAINING_QUERIES WHERE QUERY_ID IN (${marks})`)
      .all(...queryIds);
    const sql = db
      .prepare(`SELECT QUERY_ID, ORIGINAL_SQL FROM AI_SQL_PROCESSING WHERE QUERY_ID IN (${marks})`)
      .all(...queryIds);
    return { queries, sql };
  } finally {
    db.close();
  }
}

function checkRows(file, queryIds, label) {
  const { queries, sql } = rowsOf(file, queryIds);
  assert.deepEqual(
    queries.map((row) => row.QUERY_TEXT).sort(),
    [`${label}: production by line (helpers)`, `${label}: production by line (plain)`],
    `${label}: both queries stored`,
  );
  // The plain child span landed in its query's trace: it nested without a global context manager.
  assert.deepEqual(
    sql.map((row) => row.QUERY_ID).sort(),
    [...queryIds].sort(),
    `${label}: SQL rows per query`,
  );
  assert.ok(
    sql.every((row) => row.ORIGINAL_SQL === SQL),
    `${label}: SQL stored whole`,
  );
  console.log(`${label}: ${queries.length} queries and ${sql.length} SQL rows in ${file}`);
}

// 1. In-process store.
const embedded = await createRecorder({ store: 'sqlite:./embedded.db', serviceName: 'consumer-app' });
const embeddedIds = await recordBoth(embedded, 'embedded');
await embedded.shutdown();
checkRows('./embedded.db', embeddedIds, 'embedded');

// 2. Through the collector (its own process, as deployed).
const port = await freePort();
const collector = spawn(
  process.execPath,
  [
    'node_modules/@aitdr/collector/dist/server.js',
    '--store',
    'sqlite:./collector.db',
    '--port',
    String(port),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await waitForLine(collector, 'collector started');
const viaCollector = await createRecorder({ collector: { url: `http://127.0.0.1:${port}/v1/traces` } });
const collectorIds = await recordBoth(viaCollector, 'collector');
await viaCollector.shutdown();
collector.kill('SIGTERM');
const [code] = await once(collector, 'exit');
assert.equal(code, 0, 'collector shut down cleanly');
checkRows('./collector.db', collectorIds, 'collector');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: chosen } = server.address();
      server.close(() => resolve(chosen));
    });
  });
}

function waitForLine(child, text) {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.on('exit', (exitCode) => reject(new Error(`collector exited (${exitCode}) before: ${text}`)));
    child.stdout.on('data', (chunk) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
  });
}
