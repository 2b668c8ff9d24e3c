import { afterEach, describe, expect, it, vi } from 'vitest';
import { context, diag, DiagLogLevel, trace, TraceFlags } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ExportResultCode,
  isTracingSuppressed,
  setGlobalErrorHandler,
  loggingErrorHandler,
} from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_QUERY_TEXT, ATTR_USER_NAME, RecordingError, StoreUnavailableError } from '@aitdr/conventions';
import { TraceBufferProcessor } from '@aitdr/sdk';
import {
  bufferedProvider,
  FakeTraceWriter,
  HeldExporter,
  names,
  nextTurn,
  RecordingExporter,
} from './helpers.js';

function spyLogger(): DiagLogger & { warn: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> } {
  const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() };
  diag.setLogger(logger, DiagLogLevel.WARN);
  return logger;
}

afterEach(() => {
  diag.disable();
  vi.useRealTimers();
  setGlobalErrorHandler(loggingErrorHandler());
});

/** root → child → grandchild, started with explicit parents so no context manager is needed. */
function treeOf(provider: BasicTracerProvider) {
  const tracer = provider.getTracer('test');
  const root = tracer.startSpan('root');
  const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), root));
  const grandchild = tracer.startSpan('grandchild', {}, trace.setSpan(context.active(), child));
  return { tracer, root, child, grandchild };
}

describe('TraceBufferProcessor', () => {
  describe('onEnd', () => {
    it('holds spans until the local root ends, then exports the whole tree in one call', async () => {
      const exporter = new RecordingExporter();
      const { provider } = bufferedProvider({ exporter });
      const { root, child, grandchild } = treeOf(provider);

      grandchild.end();
      child.end();
      await nextTurn();
      expect(exporter.calls).toHaveLength(0);

      root.end();
      await nextTurn();
      expect(exporter.calls).toHaveLength(1);
      expect(names(exporter.calls[0]!)).toEqual(['grandchild', 'child', 'root']);
    });

    it('never calls the exporter inside span.end(), only on a later turn of the event loop', async () => {
      const exporter = new RecordingExporter();
      const { provider } = bufferedProvider({ exporter });
      const root = provider.getTracer('test').startSpan('root');

      root.end();
      expect(exporter.calls).toHaveLength(0);
      await nextTurn();
      expect(exporter.calls).toHaveLength(1);
    });

    it('treats a span whose parent is remote as the local root', async () => {
      const exporter = new RecordingExporter();
      const { provider } = bufferedProvider({ exporter });
      const tracer = provider.getTracer('test');
      const remote = trace.wrapSpanContext({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
      const server = tracer.startSpan('server', {}, trace.setSpan(context.active(), remote));
      const inner = tracer.startSpan('inner', {}, trace.setSpan(context.active(), server));

      inner.end();
      server.end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['inner', 'server']]);
      expect(exporter.calls[0]![1]!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    });

    it("treats a span whose parent it never saw start (another provider's span) as the local root", async () => {
      const exporter = new RecordingExporter();
      const { provider } = bufferedProvider({ exporter });
      const otherProvider = new BasicTracerProvider();
      const foreign = otherProvider.getTracer('app').startSpan('http server');
      const ours = provider.getTracer('test').startSpan('ours', {}, trace.setSpan(context.active(), foreign));

      ours.end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['ours']]);
      foreign.end();
    });
  });

  describe('bounds', () => {
    it('flushes a trace as it is when it reaches maxSpansPerTrace, and counts it incomplete', async () => {
      const exporter = new RecordingExporter();
      const { processor, provider } = bufferedProvider({ exporter, maxSpansPerTrace: 2 });
      const tracer = provider.getTracer('test');
      const root = tracer.startSpan('root');
      const parent = trace.setSpan(context.active(), root);
      for (const name of ['a', 'b']) tracer.startSpan(name, {}, parent).end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['a', 'b']]);

      tracer.startSpan('c', {}, parent).end();
      root.end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([
        ['a', 'b'],
        ['c', 'root'],
      ]);
      expect(processor.status().processor.incompleteFlushesByReason.maxSpansPerTrace).toBe(1);
      expect(processor.status().processor.incompleteFlushes).toBe(1);
      expect(processor.status().processor.spansDropped).toBe(0);
    });

    it('flushes the oldest open trace as it is when a new one would exceed maxTraces', async () => {
      const exporter = new RecordingExporter();
      const { processor, provider } = bufferedProvider({ exporter, maxTraces: 2 });
      const tracer = provider.getTracer('test');
      const roots = ['first', 'second', 'third'].map((name) => {
        const root = tracer.startSpan(`${name} root`);
        tracer.startSpan(`${name} child`, {}, trace.setSpan(context.active(), root)).end();
        return root;
      });
      await nextTurn();

      expect(exporter.calls.map(names)).toEqual([['first child']]);
      expect(processor.status().processor).toMatchObject({
        tracesHeld: 2,
        spansHeld: 2,
        incompleteFlushes: 1,
        incompleteFlushesByReason: { maxTraces: 1 },
      });
      for (const root of roots) root.end();
    });

    it('flushes an open trace as it is once it is older than maxTraceAgeMillis', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      // The fake writer answers without timers, which are fake here.
      const writer = new FakeTraceWriter();
      const { processor, provider } = bufferedProvider({ exporter: writer, maxTraceAgeMillis: 60_000 });
      const { root, child, grandchild } = treeOf(provider);
      grandchild.end();
      vi.advanceTimersByTime(30_000);
      child.end();
      await nextTurn();
      expect(writer.writes).toHaveLength(0);

      vi.advanceTimersByTime(30_000);
      await nextTurn();
      expect(writer.writes.map((write) => names(write.spans))).toEqual([['grandchild', 'child']]);
      expect(processor.status().processor.incompleteFlushesByReason.maxAge).toBe(1);

      root.end();
      await nextTurn();
      expect(writer.writes.map((write) => names(write.spans))).toEqual([['grandchild', 'child'], ['root']]);
    });

    it('drops spans only when the export queue is full, and reports it once', async () => {
      const logger = spyLogger();
      const exporter = new HeldExporter();
      const { processor, provider } = bufferedProvider({ exporter, maxQueueSize: 2, maxExportBatchSize: 1 });
      const tracer = provider.getTracer('test');
      tracer.startSpan('in flight').end();
      await nextTurn();
      for (const name of ['queued 1', 'queued 2', 'dropped 1', 'dropped 2']) tracer.startSpan(name).end();

      expect(processor.status().processor).toMatchObject({ spansDropped: 2, spansHeld: 2 });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(String(logger.warn.mock.calls[0]![0])).toContain('export queue full');

      for (let i = 0; i < 3; i++) {
        exporter.answer();
        await nextTurn();
      }
      expect(exporter.calls.map(names)).toEqual([['in flight'], ['queued 1'], ['queued 2']]);
      expect(processor.status().processor.spansExported).toBe(3);
    });
  });

  describe('exporting', () => {
    it('with a linger, sends background traces ended within it in one export call, and a flush sends at once', async () => {
      const exporter = new RecordingExporter();
      const { processor, provider } = bufferedProvider({ exporter, exportLingerMillis: 100 });
      const tracer = provider.getTracer('test');
      for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end();
      await nextTurn();
      expect(exporter.calls).toHaveLength(0);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(exporter.calls.map(names)).toEqual([['a', 'b', 'c']]);

      tracer.startSpan('d').end();
      await processor.forceFlush();
      expect(exporter.calls.map(names)).toEqual([['a', 'b', 'c'], ['d']]);
    });

    it('with a linger, exports as soon as a full batch waits', async () => {
      const exporter = new RecordingExporter();
      const { provider } = bufferedProvider({ exporter, exportLingerMillis: 60_000, maxExportBatchSize: 2 });
      const tracer = provider.getTracer('test');
      for (const name of ['a', 'b']) tracer.startSpan(name).end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['a', 'b']]);
    });

    it('exports with tracing suppressed, so the exporter does not trace itself', async () => {
      const contextManager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(contextManager);
      try {
        const seen: boolean[] = [];
        const exporter = new RecordingExporter();
        const original = exporter.export.bind(exporter);
        exporter.export = (spans, callback) => {
          seen.push(isTracingSuppressed(context.active()));
          original(spans, callback);
        };
        const { provider } = bufferedProvider({ exporter });
        provider.getTracer('test').startSpan('root').end();
        await nextTurn();
        expect(seen).toEqual([true]);
      } finally {
        context.disable();
      }
    });

    it('writes a TraceWriter through writeTraces, requiring acceptance for background traces', async () => {
      const writer = new FakeTraceWriter();
      const { provider } = bufferedProvider({ exporter: writer });
      provider.getTracer('test').startSpan('root').end();
      await nextTurn();
      expect(writer.writes.map((write) => [names(write.spans), write.require])).toEqual([
        [['root'], 'accepted'],
      ]);
      expect(writer.exportCalls).toBe(0);
    });

    it('counts a failed export, reports it to the diag logger and turns unhealthy', async () => {
      const logger = spyLogger();
      const exporter = new HeldExporter();
      const { processor, provider } = bufferedProvider({ exporter });
      provider.getTracer('test').startSpan('root').end();
      await nextTurn();
      exporter.answer({ code: ExportResultCode.FAILED, error: new Error('collector down') });
      await nextTurn();

      expect(logger.error).toHaveBeenCalledTimes(1);
      expect(logger.error.mock.calls[0]?.[1]).toBeInstanceOf(StoreUnavailableError);
      const status = processor.status();
      expect(status.healthy).toBe(false);
      expect(status.processor.exportFailures).toBe(1);
      expect(status.lastError?.message).toContain('collector down');
    });

    it('counts an export that does not answer within exportTimeoutMillis as failed and moves on', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      setGlobalErrorHandler(() => undefined);
      const exporter = new HeldExporter();
      const { processor, provider } = bufferedProvider({ exporter, exportTimeoutMillis: 1000 });
      const tracer = provider.getTracer('test');
      tracer.startSpan('stuck').end();
      await nextTurn();
      tracer.startSpan('next').end();
      await nextTurn();
      expect(exporter.calls).toHaveLength(1);

      vi.advanceTimersByTime(1000);
      await nextTurn();
      expect(processor.status().processor.exportFailures).toBe(1);
      expect(exporter.calls.map(names)).toEqual([['stuck'], ['next']]);
    });

    it('gives every export its full exportTimeoutMillis from its own start', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      setGlobalErrorHandler(() => undefined);
      const exporter = new HeldExporter();
      const { processor, provider } = bufferedProvider({ exporter, exportTimeoutMillis: 1000 });
      const tracer = provider.getTracer('test');
      tracer.startSpan('answered').end();
      await nextTurn();
      exporter.answer();
      await nextTurn();
      vi.advanceTimersByTime(600);
      tracer.startSpan('stuck').end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['answered'], ['stuck']]);

      // The first export's time is over; the second's is not.
      vi.advanceTimersByTime(500);
      await nextTurn();
      expect(processor.status().processor.exportFailures).toBe(0);
      vi.advanceTimersByTime(500);
      await nextTurn();
      expect(processor.status().processor.exportFailures).toBe(1);
    });

    it('merges traces waiting for the exporter into one call, up to maxExportBatchSize spans', async () => {
      const exporter = new HeldExporter();
      const { provider } = bufferedProvider({ exporter, maxExportBatchSize: 2 });
      const tracer = provider.getTracer('test');
      tracer.startSpan('first').end();
      await nextTurn();
      for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end();
      exporter.answer();
      await nextTurn();
      exporter.answer();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['first'], ['a', 'b'], ['c']]);
    });
  });

  describe('modes', () => {
    it('buffered: batches complete traces by count', async () => {
      const exporter = new RecordingExporter();
      const { provider } = bufferedProvider({ exporter, mode: 'buffered', batchSize: 2 });
      const tracer = provider.getTracer('test');
      tracer.startSpan('one').end();
      await nextTurn();
      expect(exporter.calls).toHaveLength(0);
      tracer.startSpan('two').end();
      await nextTurn();
      expect(exporter.calls.map(names)).toEqual([['one', 'two']]);
    });

    it('buffered: exports a batch that did not fill once batchDelayMillis has passed', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const writer = new FakeTraceWriter();
      const { provider } = bufferedProvider({ exporter: writer, mode: 'buffered', batchDelayMillis: 5000 });
      provider.getTracer('test').startSpan('alone').end();
      vi.advanceTimersByTime(4999);
      await nextTurn();
      expect(writer.writes).toHaveLength(0);
      vi.advanceTimersByTime(1);
      await nextTurn();
      expect(writer.writes.map((write) => names(write.spans))).toEqual([['alone']]);
    });

    it('sync: resolves once the TraceWriter committed the trace', async () => {
      const writer = new FakeTraceWriter();
      const { processor, provider } = bufferedProvider({ exporter: writer, mode: 'buffered' });
      const root = provider.getTracer('test').startSpan('root');
      const written = processor.registerTrace(root, 'sync');
      root.end();
      await expect(written).resolves.toBeUndefined();
      expect(writer.writes.map((write) => write.require)).toEqual(['committed']);
    });

    it('sync: rejects with the typed error the TraceWriter gave', async () => {
      const writer = new FakeTraceWriter();
      writer.failWith = new StoreUnavailableError('breaker open');
      const { processor, provider } = bufferedProvider({ exporter: writer });
      const root = provider.getTracer('test').startSpan('root');
      const written = processor.registerTrace(root, 'sync');
      root.end();
      await expect(written).rejects.toBe(writer.failWith);
    });

    it('sync: with a plain exporter, resolves on SUCCESS and rejects with a RecordingError otherwise', async () => {
      const exporter = new HeldExporter();
      const { processor, provider } = bufferedProvider({ exporter });
      const tracer = provider.getTracer('test');
      const good = tracer.startSpan('good');
      const goodWritten = processor.registerTrace(good, 'sync');
      good.end();
      await nextTurn();
      exporter.answer();
      await expect(goodWritten).resolves.toBeUndefined();

      const bad = tracer.startSpan('bad');
      const badWritten = processor.registerTrace(bad, 'sync');
      bad.end();
      await nextTurn();
      exporter.answer({ code: ExportResultCode.FAILED, error: new Error('refused') });
      await expect(badWritten).rejects.toBeInstanceOf(RecordingError);
    });

    it('sync: rejects at once for a span this processor did not see start', async () => {
      const { processor } = bufferedProvider({ exporter: new InMemorySpanExporter() });
      const stranger = new BasicTracerProvider().getTracer('other').startSpan('stranger');
      await expect(processor.registerTrace(stranger, 'sync')).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });

  describe('forceFlush', () => {
    it('exports open traces as incomplete and the buffered batch, and waits for the exports', async () => {
      const exporter = new RecordingExporter();
      const { processor, provider } = bufferedProvider({ exporter, mode: 'buffered' });
      const { root, child } = treeOf(provider);
      child.end();
      provider.getTracer('test').startSpan('complete').end();

      await processor.forceFlush();
      expect(exporter.calls.flatMap(names).sort()).toEqual(['child', 'complete']);
      expect(processor.status().processor).toMatchObject({
        tracesHeld: 0,
        spansHeld: 0,
        incompleteFlushesByReason: { forceFlush: 1 },
      });
      root.end();
    });

    it('resolves after forceFlushTimeoutMillis when the exporter never answers', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      spyLogger();
      const exporter = new HeldExporter();
      const { processor, provider } = bufferedProvider({
        exporter,
        forceFlushTimeoutMillis: 1000,
        exportTimeoutMillis: 60_000,
      });
      provider.getTracer('test').startSpan('stuck').end();
      const flushed = processor.forceFlush();
      await vi.advanceTimersByTimeAsync(1000);
      await expect(flushed).resolves.toBeUndefined();
    });
  });

  describe('shutdown', () => {
    it('runs once: later calls get the same promise and the exporter is shut down once', async () => {
      const exporter = new HeldExporter();
      const processor = new TraceBufferProcessor({ exporter });
      const first = processor.shutdown();
      expect(processor.shutdown()).toBe(first);
      await first;
      expect(exporter.shutdowns).toBe(1);
      expect(processor.status()).toMatchObject({ shutDown: true, healthy: false });
    });

    it('exports what it holds before shutting the exporter down', async () => {
      const exporter = new RecordingExporter();
      const { processor, provider } = bufferedProvider({ exporter });
      const { child } = treeOf(provider);
      child.end();
      await processor.shutdown();
      expect(exporter.calls.map(names)).toEqual([['child']]);
      expect(processor.status().processor.incompleteFlushesByReason.shutdown).toBe(1);
    });

    it('ignores and counts spans that end after shutdown', async () => {
      const exporter = new RecordingExporter();
      const { processor, provider } = bufferedProvider({ exporter });
      const late = provider.getTracer('test').startSpan('late');
      await processor.shutdown();
      late.end();
      expect(processor.status().processor.spansEndedAfterShutdown).toBe(1);
      expect(exporter.calls).toHaveLength(0);
    });
  });

  describe('redaction', () => {
    it('hands redacted copies to its exporter while other processors see the spans as recorded', async () => {
      const exporter = new RecordingExporter();
      const processor = new TraceBufferProcessor({ exporter, redaction: { usernames: 'drop' } });
      const raw = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [processor, new SimpleSpanProcessor(raw)] });
      provider
        .getTracer('test')
        .startSpan('query', {
          attributes: { [ATTR_QUERY_TEXT]: 'mail me at ann@example.com', [ATTR_USER_NAME]: 'ann' },
        })
        .end();
      await nextTurn();

      const redacted: ReadableSpan = exporter.calls[0]![0]!;
      expect(redacted.attributes).toEqual({ [ATTR_QUERY_TEXT]: 'mail me at [REDACTED:email]' });
      expect(raw.getFinishedSpans()[0]!.attributes).toEqual({
        [ATTR_QUERY_TEXT]: 'mail me at ann@example.com',
        [ATTR_USER_NAME]: 'ann',
      });
      expect(redacted.spanContext()).toEqual(raw.getFinishedSpans()[0]!.spanContext());
    });
  });
});
