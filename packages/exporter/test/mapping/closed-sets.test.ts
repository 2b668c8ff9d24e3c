/**
 * A value outside its attribute's closed set (`model.source` must be `api` or `local`): the column
 * is NULL, the value stays in ATTRIBUTES, on SQLite and PostgreSQL alike, and status() counts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR_MODEL_SOURCE, ATTR_SELECTION_SOURCE } from '@aitdr/conventions';
import { AI_MODEL_INTERACTIONS, AI_RESPONSE_SELECTIONS } from '@aitdr/schema';
import { TableExporter } from '@aitdr/exporter';
import { postgresStore, sqliteStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import { recordPipeline } from '../support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

const STORES = { sqlite: sqliteStore, postgres: postgresStore } as const;

describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('closed value sets on %s', (name) => {
  let store: StoreUnderTest | undefined;
  let exporter: TableExporter | undefined;
  afterEach(async () => {
    await exporter?.shutdown();
    await store?.close();
  });

  it('keeps a value outside the set in ATTRIBUTES with its column NULL, and counts it', async () => {
    store = await STORES[name]();
    exporter = new TableExporter({ store: store.url, stateDirectory: store.stateDirectory });
    const trace = recordPipeline();
    const interaction = trace.spans.find((s) => s.spanContext().spanId === trace.spanIds.apiInteraction)!;
    const selection = trace.spans.find((s) => s.spanContext().spanId === trace.spanIds.selection)!;
    Object.assign(interaction.attributes, { [ATTR_MODEL_SOURCE]: 'cloud' });
    Object.assign(selection.attributes, { [ATTR_SELECTION_SOURCE]: 'api' }); // inside: stored as usual

    const result = await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    expect(result).toMatchObject({ committed: 1, deadLettered: 0 });
    const rows = await store.rows(AI_MODEL_INTERACTIONS);
    const row = rows.find((r) => r.INTERACTION_ID === trace.spanIds.apiInteraction);
    expect(row).toMatchObject({ MODEL_SOURCE: null, ATTRIBUTES: { [ATTR_MODEL_SOURCE]: 'cloud' } });
    const [selected] = await store.rows(AI_RESPONSE_SELECTIONS);
    expect(selected?.SELECTED_SOURCE).toBe('api');
    expect(exporter.status().counters.outsideClosedSets).toBe(1);
  }, 30_000);
});
