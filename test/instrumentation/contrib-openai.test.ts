/**
 * The contrib `@opentelemetry/instrumentation-openai`: gen_ai attributes on its span, message
 * content in log records (events), which an app sends to the collector with the logs SDK
 * (`@opentelemetry/sdk-logs` + `@opentelemetry/exporter-logs-otlp-proto`, the set-up the SDK's
 * README documents). In-process there is no logs path, so the row has what the span carries.
 * Instrumented without a global loader: constructed, the instrumentation hooks `require`, and this
 * file loads `openai` through createRequire (CJS) after it.
 */
import { createRequire } from 'node:module';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type OpenAIType from 'openai';
import { describeOpenAiLibrary } from './openai-cases.js';

const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
const { OpenAI } = createRequire(import.meta.url)('openai') as { OpenAI: typeof OpenAIType };
let loggerProvider: LoggerProvider | undefined;

describeOpenAiLibrary('@opentelemetry/instrumentation-openai', {
  instrument: (provider, destination, baseURL) => {
    instrumentation.setTracerProvider(provider);
    // The app's logs set-up: log records go to the collector's /v1/logs beside the traces.
    loggerProvider = new LoggerProvider({
      processors: destination.collector
        ? [
            new BatchLogRecordProcessor({
              exporter: new OTLPLogExporter({ url: `${destination.collector.url}/v1/logs` }),
            }),
          ]
        : [],
    });
    instrumentation.setLoggerProvider(loggerProvider);
    return new OpenAI({ apiKey: 'test-key', baseURL, maxRetries: 0 });
  },
  flush: () => loggerProvider?.forceFlush() ?? Promise.resolve(),
  content: 'logs',
  responseId: true,
});
