/**
 * An application that records queries in-process (the table exporter with its on-disk spool),
 * set up from the environment as an app would be: AITDR_STORE, AITDR_STATE_DIR,
 * AITDR_RECORDING_MODE. The reliability tests run it as a child process so they can SIGKILL it.
 *
 * APP_PHASE=record records queries until killed, one JSON line per event on stdout:
 *   {"recorded": id}            sync: the write was committed; async: recordQuery returned
 *   {"failed": id, "code": c}   sync: the write was refused with a RecordingError code
 *   {"flushed": [ids], "spool": n}  async, after APP_FLUSH_AFTER queries: forceFlush returned
 * APP_PHASE=drain starts, waits until the spool a previous run left is replayed, prints
 *   {"drained": writerStatus}, shuts down and exits 0.
 */
import { RecordingError } from '@aitdr/conventions';
import { createRecorder, recorderOptionsFromEnv } from '@aitdr/sdk';

const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const fromEnv = recorderOptionsFromEnv();
const recorder = await createRecorder({
  ...fromEnv,
  serviceName: 'recording-app',
  // Fail fast while the store is down, so the test does not wait on backoffs.
  storeOptions: {
    ...fromEnv.storeOptions,
    retry: { retries: 1, minDelayMs: 10, maxDelayMs: 50 },
    breaker: { resetTimeoutMs: 500 },
    replayIntervalMs: 200,
  },
});

if (process.env.APP_PHASE === 'drain') {
  const writer = () => recorder.status().writer;
  for (
    let waited = 0;
    (writer()?.spool.traces ?? 0) > 0 || writer()?.counters.replayed === 0;
    waited += 100
  ) {
    if (waited > 30_000) throw new Error(`spool not drained: ${JSON.stringify(writer())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  print({ drained: writer() });
  await recorder.shutdown();
  process.exit(0);
}

const flushAfter = Number(process.env.APP_FLUSH_AFTER ?? Infinity);
const recorded: string[] = [];
for (let n = 0; ; n++) {
  let queryId = '';
  try {
    await recorder.recordQuery({ text: `question ${n} from ${process.pid}` }, (query) => {
      queryId = query.queryId;
      query.classification({ category: 'downtime', confidence: 0.9 });
    });
    recorded.push(queryId);
    print({ recorded: queryId });
  } catch (error) {
    print({ failed: queryId, code: error instanceof RecordingError ? error.code : String(error) });
  }
  if (recorded.length === flushAfter) {
    await recorder.forceFlush();
    print({ flushed: recorded, spool: recorder.status().writer?.spool.traces });
  }
  // A steady pace, as requests come to an app, rather than a tight loop.
  await new Promise((resolve) => setTimeout(resolve, 10));
}
