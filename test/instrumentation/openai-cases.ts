/**
 * The cases every OpenAI instrumentation library is put through, on both routes to the tables:
 * (1) its span under a hand-made model_interaction stage span fills that stage's row; (2) its span
 * alone under a query makes the row; never two rows for one call.
 */
import { createRequire } from 'node:module';
import type { TracerProvider } from '@opentelemetry/api';
import type OpenAIType from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_REQUEST,
  GENERATED_SQL,
  PROMPT,
  RESPONSE_ID,
  RESPONSE_MODEL,
  ROUTES,
  USAGE,
  modelRows,
  openDestination,
  startFakeOpenAi,
} from './support.js';
import type { Destination, FakeOpenAi, ModelRow, Route } from './support.js';

/** The slice of the `openai` client the tests call. */
export interface ChatClient {
  chat: { completions: { create(request: typeof CHAT_REQUEST): Promise<unknown> } };
}

export interface OpenAiLibrary {
  /** Points the library at this route's recorder; returns a client whose calls it traces. */
  instrument(provider: TracerProvider, destination: Destination, baseURL: string): ChatClient;
  /** Makes sure what the library buffers itself (log records) has been sent. */
  flush?(): Promise<void>;
  /** Where the library puts prompt and response: on its span, or in log records (the collector route only). */
  readonly content: 'span' | 'logs';
  /** Whether the library records the response ID. */
  readonly responseId: boolean;
}

function expectCallRecorded(row: ModelRow, library: OpenAiLibrary, route: Route): void {
  expect(row.RESPONSE_MODEL).toBe(RESPONSE_MODEL);
  expect(row.INPUT_TOKENS).toBe(USAGE.prompt_tokens);
  expect(row.OUTPUT_TOKENS).toBe(USAGE.completion_tokens);
  expect(JSON.parse(row.FINISH_REASONS ?? '[]')).toEqual(['stop']);
  if (library.responseId) expect(row.RESPONSE_ID).toBe(RESPONSE_ID);
  if (library.content === 'span' || route === 'collector') {
    expect(row.PROMPT).toContain(PROMPT);
    expect(row.RESPONSE_TEXT).toContain(GENERATED_SQL);
    expect(row.GENERATED_SQL).toBe(GENERATED_SQL);
  }
}

const require = createRequire(import.meta.url);

/** A library instrumentation that patches a module handed to it (no loader hook needed). */
interface ManualInstrumentation {
  setTracerProvider(provider: TracerProvider): void;
  manuallyInstrument(module: never): void;
}

/**
 * `instrument` for a library with `manuallyInstrument`: patches the CJS `openai` module once (by
 * the `OpenAI` class, or the module object for libraries that want it), then points the library
 * at each route's recorder with `setTracerProvider`.
 */
export function manuallyInstrumentedOpenAi(
  instrumentation: ManualInstrumentation,
  takes: 'class' | 'module' = 'class',
): OpenAiLibrary['instrument'] {
  const module = require('openai') as { OpenAI: typeof OpenAIType };
  (instrumentation.manuallyInstrument as (module: unknown) => void)(
    takes === 'class' ? module.OpenAI : module,
  );
  return (provider, _destination, baseURL) => {
    instrumentation.setTracerProvider(provider);
    return new module.OpenAI({ apiKey: 'test-key', baseURL, maxRetries: 0 });
  };
}

export function describeOpenAiLibrary(name: string, library: OpenAiLibrary): void {
  describe.each(ROUTES)(`${name} (%s)`, (route) => {
    let fake: FakeOpenAi;
    let destination: Destination;
    let client: ChatClient;

    beforeAll(async () => {
      fake = await startFakeOpenAi();
      destination = await openDestination(route);
      client = library.instrument(destination.recorder.tracerProvider, destination, fake.baseURL);
    });
    afterAll(async () => {
      await destination?.close();
      await fake?.close();
    });

    it('fills the model_interaction stage row its span runs under, one row for the call', async () => {
      const { queryId, result: stageSpanId } = await destination.recorder.recordQuery(
        { text: 'downtime by line' },
        async (query) =>
          query.modelInteraction(
            { source: 'api', operationName: 'chat', provider: 'openai', requestModel: 'gpt-4o-mini' },
            async (stage) => {
              await client.chat.completions.create(CHAT_REQUEST);
              await library.flush?.();
              return stage.spanId;
            },
          ),
      );
      const rows = await modelRows(destination, queryId);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.INTERACTION_ID).toBe(stageSpanId);
      expect(rows[0]!.MODEL_SOURCE).toBe('api');
      expectCallRecorded(rows[0]!, library, route);
    });

    it('makes the row from its span alone under a query', async () => {
      const { queryId } = await destination.recorder.recordQuery({ text: 'downtime by line' }, async () => {
        await client.chat.completions.create(CHAT_REQUEST);
        await library.flush?.();
      });
      const rows = await modelRows(destination, queryId);
      expect(rows).toHaveLength(1);
      expectCallRecorded(rows[0]!, library, route);
      expect(rows[0]!.REQUEST_MODEL).toBe('gpt-4o-mini');
    });
  });
}
