// The README's example, run by readme-example.test.ts; everything below the marker is the
// README's first code block as it is (a test compares them).
import { askModel, retrieveSchema, runSql, sendToUi } from './readme-app.js';

// --- README example ---
import { createRecorder } from '@aitdr/sdk';
import type { StageRecorder } from '@aitdr/sdk';

const recorder = await createRecorder({
  store: 'sqlite:./training.db', // or postgres://…, oracle://…; or collector: { url } for the collector
  serviceName: 'sql-assistant',
  context: { clientInfo: 'web-ui/2.4.1', databaseType: 'oracle' }, // every query starts with it
});

const question = 'show production efficiency trends for line 3';
const { queryId, rootSpanId, result } = await recorder.recordQuery(
  { text: question, context: { sessionId: 'sess-7f3a', username: 'jsmith', queryMode: 'interactive' } },
  async (query) => {
    query.classification({ category: 'production_efficiency', confidence: 0.92, complexity: 'moderate' });

    const schema = await query.schemaContext({ retrievalMethod: 'keyword' }, async (stage) => {
      const found = await retrieveSchema(question);
      stage.set({ tables: found.tables, tokenCount: found.tokens });
      return found;
    });

    // The local model first; its error is recorded on its span, then the API model takes over.
    const local = {
      source: 'local',
      operationName: 'chat',
      provider: 'ollama',
      requestModel: 'sqlcoder-7b',
    } as const;
    const api = { source: 'api', operationName: 'chat', provider: 'openai', requestModel: 'gpt-4o' } as const;
    const generate = (model: typeof local | typeof api, stage: StageRecorder) =>
      stage.modelInteraction(model, async (interaction) => {
        const answer = await askModel(model.requestModel, question, schema.text);
        interaction.set({
          generatedSql: answer.sql,
          inputTokens: answer.inputTokens,
          outputTokens: answer.outputTokens,
        });
        return { sql: answer.sql, source: model.source, interactionId: interaction.spanId };
      });
    const generated = await generate(local, query).catch(() =>
      // The fallback span covers the fallback work: the replacement interaction is its child.
      query.fallback({ fromSource: 'local', toSource: 'api', reason: 'timeout' }, async (fallback) => {
        const retried = await generate(api, fallback);
        fallback.set({ succeeded: true });
        return retried;
      }),
    );

    query.responseSelection({
      selectedSource: generated.source,
      strategy: generated.source === 'local' ? 'local_preferred' : 'fallback',
      selectedInteractionId: generated.interactionId,
    });
    const runnable = `${generated.sql} FETCH FIRST 1000 ROWS ONLY`;
    query.sqlProcessing({
      originalSql: generated.sql,
      processedSql: runnable,
      isValid: true,
      transformations: ['added row limit'],
      interactionId: generated.interactionId,
    });
    return query.execution(
      { queryText: runnable, dbSystem: 'oracle.db', interactionId: generated.interactionId },
      async (execution) => {
        const rows = await runSql(runnable);
        execution.set({
          success: true,
          returnedRows: rows.length,
          resultSample: JSON.stringify(rows.slice(0, 5)),
        });
        return rows;
      },
    );
  },
);
sendToUi(result, queryId, rootSpanId); // the rows, and the IDs feedback will need

// Later, possibly in another process: feedback from the IDs the UI kept. `sync` waits until the
// row is committed and rejects with a RecordingError (for example StoreUnavailableError) if not.
await recorder.recordFeedback(
  { queryId, rootSpanId, rating: 2, isCorrect: false, correctedSql: 'SELECT …', username: 'jsmith' },
  { mode: 'sync' },
);

await recorder.shutdown(); // at exit: exports what is held, then closes the exporter
