/**
 * NaN, Infinity and -Infinity doubles over OTLP protobuf and OTLP JSON, on SQLite and PostgreSQL:
 * every store keeps them the same way, whatever the encoding (the conventions say how).
 */
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR_CLASSIFICATION_CONFIDENCE } from '@aitdr/conventions';
import { AI_QUERY_CLASSIFICATIONS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import { startCollector } from '../../src/start-collector.js';
import type { RunningCollector } from '../../src/start-collector.js';
import { postgresStore, sqliteStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import { jsonBody, protobufBody, queryTrace } from '../support/spans.js';

/** Stand-ins for the non-finite values in a trace sent as JSON (the SDK's serializer writes NaN as null). */
const SENTINELS = { NaN: 0.123456789, Infinity: 0.234567891, '-Infinity': 0.345678912 } as const;

function traceWith(values: { nan: number; inf: number; negInf: number }): ReadableSpan[] {
  return queryTrace('downtime by line', {
    resource: { 'host.load': values.inf },
    classification: {
      [ATTR_CLASSIFICATION_CONFIDENCE]: values.nan, // a typed DOUBLE column
      'app.upper': values.inf,
      'app.lower': values.negInf,
      'app.scores': [0.5, values.nan, values.inf],
    },
  });
}

const ENCODINGS = {
  protobuf: {
    contentType: 'application/x-protobuf',
    body: () => protobufBody(traceWith({ nan: NaN, inf: Infinity, negInf: -Infinity })),
  },
  json: {
    contentType: 'application/json',
    body: () => {
      let text = jsonBody(
        traceWith({ nan: SENTINELS.NaN, inf: SENTINELS.Infinity, negInf: SENTINELS['-Infinity'] }),
      ).toString();
      // The protobuf JSON mapping's form of the three values: strings.
      for (const [name, sentinel] of Object.entries(SENTINELS)) {
        text = text.replaceAll(`"doubleValue":${sentinel}`, `"doubleValue":"${name}"`);
      }
      expect(text).toContain('"doubleValue":"NaN"');
      return Buffer.from(text);
    },
  },
} as const;

const STORES = { sqlite: sqliteStore, postgres: postgresStore } as const;

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('non-finite doubles on %s', (storeName) => {
  let store: StoreUnderTest | undefined;
  let collector: RunningCollector | undefined;
  afterEach(async () => {
    await collector?.close();
    await store?.close();
    collector = undefined;
    store = undefined;
  });

  it.each(Object.keys(ENCODINGS) as (keyof typeof ENCODINGS)[])(
    'keeps NaN and ±Infinity sent over OTLP %s as their names; the DOUBLE column is NULL',
    async (encoding) => {
      store = await STORES[storeName]();
      collector = await startCollector({
        store: store.url,
        port: 0,
        stateDirectory: join(store.stateDirectory, 'collector'),
        waitMs: 50,
      });
      const response = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': ENCODINGS[encoding].contentType },
        body: ENCODINGS[encoding].body(),
      });
      expect(response.status).toBe(200);
      const stored = async () => {
        try {
          return await store!.count(AI_QUERY_CLASSIFICATIONS);
        } catch {
          return 0; // the tables are not made yet
        }
      };
      const deadline = Date.now() + 20_000;
      while ((await stored()) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [row] = await store.rows(AI_QUERY_CLASSIFICATIONS);
      expect(row).toMatchObject({
        CONFIDENCE: null,
        ATTRIBUTES: {
          [ATTR_CLASSIFICATION_CONFIDENCE]: 'NaN',
          'app.upper': 'Infinity',
          'app.lower': '-Infinity',
          'app.scores': [0.5, 'NaN', 'Infinity'],
        },
      });
      const [query] = await store.rows(AI_TRAINING_QUERIES);
      expect(query?.RESOURCE_ATTRIBUTES).toMatchObject({ 'host.load': 'Infinity' });
    },
    60_000,
  );
});
