/**
 * OpenLLMetry's OpenAI instrumentation, current version (0.27: today's gen_ai names), driving the
 * real `openai` client against a fake server. Instrumented without a loader:
 * `manuallyInstrument(OpenAI)` patches the class this file loads (CJS, through createRequire);
 * `setTracerProvider` points it at each route's recorder.
 */
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { describeOpenAiLibrary, manuallyInstrumentedOpenAi } from './openai-cases.js';

describeOpenAiLibrary('@traceloop/instrumentation-openai 0.27', {
  instrument: manuallyInstrumentedOpenAi(
    new OpenAIInstrumentation({ traceContent: true, enrichTokens: false }),
  ),
  content: 'span',
  responseId: true,
});
