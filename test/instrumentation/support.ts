/**
 * What the real-library tests share: a fake OpenAI-compatible server on loopback, the two ways a
 * recording reaches the tables (in-process: SDK → table exporter → SQLite; through the collector:
 * SDK → OTLP → collector → SQLite), and reading the rows back.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRecorder } from '@aitdr/sdk';
import type { Recorder } from '@aitdr/sdk';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { createTemporaryDirectory } from '../support/temp-dir.js';

export const PROMPT = 'Which production line had the most downtime last week?';
export const SYSTEM_PROMPT = 'You write Oracle SQL for the MFG schema.';
export const GENERATED_SQL = 'SELECT LINE_ID, SUM(MINUTES) AS DOWNTIME FROM DOWNTIME_EVENTS GROUP BY LINE_ID';
export const RESPONSE_TEXT = `Here is the query:\n\`\`\`sql\n${GENERATED_SQL}\n\`\`\``;
export const RESPONSE_MODEL = 'gpt-4o-mini-2024-07-18';
export const RESPONSE_ID = 'chatcmpl-fake-0001';
export const USAGE = { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 };

export interface FakeOpenAi {
  /** Base URL for the client, e.g. `http://127.0.0.1:1234/v1`. */
  readonly baseURL: string;
  readonly requests: unknown[];
  close(): Promise<void>;
}

/** A chat-completions endpoint answering every request with one fixed completion, as OpenAI does. */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: unknown[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `no route ${request.url}` } }));
        return;
      }
      requests.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: RESPONSE_ID,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: RESPONSE_MODEL,
          system_fingerprint: 'fp_test',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: RESPONSE_TEXT, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: USAGE,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The chat request every test makes. */
export const CHAT_REQUEST = {
  model: 'gpt-4o-mini',
  temperature: 0.1,
  max_tokens: 256,
  messages: [
    { role: 'system' as const, content: SYSTEM_PROMPT },
    { role: 'user' as const, content: PROMPT },
  ],
};

export type Route = 'in-process' | 'collector';
export const ROUTES: readonly Route[] = ['in-process', 'collector'];

export interface Destination {
  readonly route: Route;
  readonly recorder: Recorder;
  readonly database: string;
  readonly collector?: RunningCollector;
  close(): Promise<void>;
}

let registered = false;

/**
 * A recorder whose traces reach a SQLite store by `route`. The first one is registered globally:
 * its context manager (the SDK's AsyncLocalStorage) is what lets a library's span, started from
 * `context.active()`, nest under the recorder's spans.
 */
export async function openDestination(route: Route): Promise<Destination> {
  const dir = createTemporaryDirectory('aitdr-instrumentation-');
  const database = join(dir.path, 'training.db');
  const collector =
    route === 'collector'
      ? await startCollector({
          store: `sqlite:${database}`,
          port: 0,
          spoolDirectory: join(dir.path, 'spool'),
          waitMs: 200,
          maxWaitMs: 3000,
        })
      : undefined;
  const recorder = await createRecorder({
    ...(collector
      ? { collector: { url: `${collector.url}/v1/traces` } }
      : { store: `sqlite:${database}`, storeOptions: { stateDirectory: join(dir.path, 'state') } }),
    serviceName: 'sql-assistant',
    mode: 'sync',
    registerGlobal: !registered,
  });
  registered = true;
  return {
    route,
    recorder,
    database,
    ...(collector ? { collector } : {}),
    close: async () => {
      await recorder.shutdown();
      await collector?.close();
      dir.remove();
    },
  };
}

export function selectRows<T>(database: string, sql: string, ...binds: unknown[]): T[] {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...binds) as T[];
  } finally {
    db.close();
  }
}

/** Polls until `read` returns at least one row (the collector writes after its wait), then a little longer. */
export async function rowsOf<T>(read: () => T[], timeoutMs = 10_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let rows: T[] = [];
    try {
      rows = read();
    } catch {
      // the store file or its tables are not there yet
    }
    if (rows.length > 0) return rows;
    if (Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ModelRow {
  INTERACTION_ID: string;
  MODEL_SOURCE: string | null;
  REQUEST_MODEL: string | null;
  RESPONSE_MODEL: string | null;
  RESPONSE_ID: string | null;
  PROMPT: string | null;
  RESPONSE_TEXT: string | null;
  GENERATED_SQL: string | null;
  INPUT_TOKENS: number | null;
  OUTPUT_TOKENS: number | null;
  TEMPERATURE: number | null;
  MAX_TOKENS: number | null;
  FINISH_REASONS: string | null;
  ATTRIBUTES: string | null;
}

/** The query's model-interaction rows, once there are any. */
export function modelRows(destination: Destination, queryId: string): Promise<ModelRow[]> {
  return rowsOf(() =>
    selectRows<ModelRow>(
      destination.database,
      'SELECT * FROM AI_MODEL_INTERACTIONS WHERE QUERY_ID = ?',
      queryId,
    ),
  );
}

export interface ExecutionRow {
  EXECUTION_ID: string;
  EXECUTED_SQL: string | null;
  DB_SYSTEM: string | null;
  DB_NAMESPACE: string | null;
  OPERATION_NAME: string | null;
  RETURNED_ROWS: number | null;
  ATTRIBUTES: string | null;
}

export function executionRows(destination: Destination, queryId: string): Promise<ExecutionRow[]> {
  return rowsOf(() =>
    selectRows<ExecutionRow>(
      destination.database,
      'SELECT * FROM AI_EXECUTION_RESULTS WHERE QUERY_ID = ?',
      queryId,
    ),
  );
}
