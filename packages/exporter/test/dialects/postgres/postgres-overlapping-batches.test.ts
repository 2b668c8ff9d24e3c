/**
 * Batches on PostgreSQL while the one before commits: the next batch is mapped meanwhile, but its
 * transaction starts only once that one has ended. What it must keep: each batch sees what the
 * one before it stored (feedback whose query the previous batch wrote is committed, not parked),
 * and a batch that fails is dead-lettered, parked or retried as it would be alone, the batch
 * behind it still written.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import { AI_MODEL_INTERACTIONS, AI_TRAINING_QUERIES, AI_USER_FEEDBACK } from '@aitdr/schema';
import { createTableExporter } from '@aitdr/exporter';
import type { TableExporter } from '@aitdr/exporter';
import { postgresStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import { exporterBehindProxy } from '../../support/exporter-behind-proxy.js';
import type { ExporterBehindProxy } from '../../support/exporter-behind-proxy.js';
import { recordFeedback, recordPipeline } from '../../support/traces.js';
import type { PipelineTrace } from '../../support/traces.js';

/** Two traces per batch, taken at once: every batch after the first is mapped while the one before commits. */
const OVERLAPPING = { batchSize: 2, lingerMs: 0 } as const;

const recordsOf = (...traces: { spans: PipelineTrace['spans'] }[]) =>
  traces.flatMap((trace) => trace.spans.map(toSpanRecord));

describe('TableExporter on PostgreSQL, batches mapped while the one before commits', () => {
  let store: StoreUnderTest | undefined;
  let exporter: TableExporter | undefined;
  let proxied: ExporterBehindProxy | undefined;

  afterEach(async () => {
    await exporter?.shutdown();
    await proxied?.close();
    exporter = undefined;
    proxied = undefined;
  });
  afterAll(() => store?.close());

  const storeOnce = async () => (store ??= await postgresStore());
  const queryIds = async (s: StoreUnderTest) =>
    (await s.rows(AI_TRAINING_QUERIES)).map((row) => row.QUERY_ID);
  const feedbackOf = async (s: StoreUnderTest, queryId: string) =>
    (await s.rows(AI_USER_FEEDBACK)).filter((row) => row.QUERY_ID === queryId);

  it('commits feedback whose query the batch before it wrote, in order, each trace once', async () => {
    const s = await storeOnce();
    exporter = createTableExporter({ store: s.url, stateDirectory: s.stateDirectory, ...OVERLAPPING });
    const queries = [recordPipeline(), recordPipeline(), recordPipeline(), recordPipeline()];
    const feedback = queries.map((q) => recordFeedback(q.traceId, q.spanIds.query, { rating: 4 }));
    // Batches: two queries, two queries, then the feedback on them, two by two.
    const result = await exporter.writeTraces(recordsOf(...queries, ...feedback), { require: 'committed' });
    expect(result).toEqual({ committed: 8, spooled: 0, parked: 0, deadLettered: 0 });
    expect(await queryIds(s)).toEqual(expect.arrayContaining(queries.map((q) => q.traceId)));
    for (const query of queries) {
      expect(await feedbackOf(s, query.traceId)).toEqual([
        expect.objectContaining({ RATING: 4, FEEDBACK_TRACE_ID: feedback[queries.indexOf(query)]!.traceId }),
      ]);
    }
    expect(exporter.status().counters).toMatchObject({ written: 8, parked: 0, deadLettered: 0 });
  });

  it('commits feedback that comes just before its query after the query, without parking it', async () => {
    const s = await storeOnce();
    // One trace per batch: each feedback's batch is decided while its query is the batch mapped
    // next (a) or still queued (b).
    exporter = createTableExporter({
      store: s.url,
      stateDirectory: s.stateDirectory,
      batchSize: 1,
      lingerMs: 0,
      parking: { retryIntervalMs: 600_000 },
    });
    const [a, b, other] = [recordPipeline(), recordPipeline(), recordPipeline()];
    const feedbackA = recordFeedback(a.traceId, a.spanIds.query, { rating: 2 });
    const feedbackB = recordFeedback(b.traceId, b.spanIds.query, { rating: 3 });
    const result = await exporter.writeTraces(recordsOf(feedbackA, a, feedbackB, other, b), {
      require: 'committed',
    });
    expect(result).toEqual({ committed: 5, spooled: 0, parked: 0, deadLettered: 0 });
    expect(await feedbackOf(s, a.traceId)).toEqual([
      expect.objectContaining({ RATING: 2, FEEDBACK_TRACE_ID: feedbackA.traceId }),
    ]);
    expect(await feedbackOf(s, b.traceId)).toEqual([
      expect.objectContaining({ RATING: 3, FEEDBACK_TRACE_ID: feedbackB.traceId }),
    ]);
    expect(exporter.status().counters).toMatchObject({ written: 5, parked: 0 });
    expect(exporter.status().parked.traces).toBe(0);
  });

  it('dead-letters a refused trace and parks feedback without its query, the batches behind them still written', async () => {
    const s = await storeOnce();
    exporter = createTableExporter({
      store: s.url,
      stateDirectory: s.stateDirectory,
      ...OVERLAPPING,
      retry: { retries: 1, minDelayMs: 10 },
      parking: { retryIntervalMs: 600_000 },
    });
    const good = [recordPipeline(), recordPipeline(), recordPipeline(), recordPipeline()];
    const tooLong = recordPipeline(undefined, { queryExtra: { 'user.name': 'x'.repeat(300) } });
    const neverStored = recordPipeline();
    const orphan = recordFeedback(neverStored.traceId, neverStored.spanIds.query);
    const [a, b, c, d] = good as [PipelineTrace, PipelineTrace, PipelineTrace, PipelineTrace];
    const result = await exporter.writeTraces(recordsOf(a, tooLong, b, orphan, c, d));
    expect(result).toEqual({ committed: 4, spooled: 0, parked: 1, deadLettered: 1 });
    expect(await queryIds(s)).toEqual(expect.arrayContaining(good.map((q) => q.traceId)));
    expect(await queryIds(s)).not.toContain(tooLong.traceId);
    for (const trace of good) {
      const interactions = (await s.rows(AI_MODEL_INTERACTIONS)).filter((r) => r.QUERY_ID === trace.traceId);
      expect(interactions).toHaveLength(2);
    }
    expect(exporter.status().parked.traces).toBe(1);
  });

  it('retries a batch whose connection broke, then writes the batch mapped behind it', async () => {
    proxied = await exporterBehindProxy('aitdr-overlap-', (url) => ({
      store: { dialect: 'postgres', connectionString: url, connectTimeoutMs: 1000 },
      ...OVERLAPPING,
      retry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
    }));
    const { proxy, store: behind } = proxied;
    exporter = proxied.exporter;
    await exporter.verifyStore();
    // The first transaction breaks at its first statement; every later one goes through.
    let draws = 0;
    proxy.flake({ probability: 0.5, random: () => (draws++ < 2 ? 0 : 0.99) });
    const queries = [recordPipeline(), recordPipeline()];
    const feedback = queries.map((q) => recordFeedback(q.traceId, q.spanIds.query));
    const result = await exporter.writeTraces(recordsOf(...queries, ...feedback), { require: 'committed' });
    expect(proxy.faults['first-statement']).toBe(1);
    expect(result).toEqual({ committed: 4, spooled: 0, parked: 0, deadLettered: 0 });
    expect(exporter.status().counters.retried).toBe(2);
    for (const query of queries) expect(await feedbackOf(behind, query.traceId)).toHaveLength(1);
  });
});
