/**
 * OpenLLMetry's OpenAI instrumentation 0.22, still widely deployed, with the previous gen_ai names
 * (gen_ai.system, gen_ai.usage.prompt_tokens/completion_tokens, gen_ai.prompt.N.*,
 * gen_ai.completion.N.*, llm.request.type). Instrumented as the current version is.
 */
import { OpenAIInstrumentation } from 'traceloop-openai-022';
import { describeOpenAiLibrary, manuallyInstrumentedOpenAi } from './openai-cases.js';

describeOpenAiLibrary('@traceloop/instrumentation-openai 0.22', {
  instrument: manuallyInstrumentedOpenAi(
    new OpenAIInstrumentation({ traceContent: true, enrichTokens: false }),
  ),
  content: 'span',
  responseId: false,
});
