/**
 * OpenInference's OpenAI instrumentation (openinference.span.kind = LLM, llm.model_name,
 * llm.token_count.*, llm.input_messages.N.message.*, output.value, llm.invocation_parameters).
 * Instrumented without a loader: `manuallyInstrument(openai module)` on the module this file
 * loads through createRequire.
 */
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { describeOpenAiLibrary, manuallyInstrumentedOpenAi } from './openai-cases.js';

describeOpenAiLibrary('@arizeai/openinference-instrumentation-openai', {
  instrument: manuallyInstrumentedOpenAi(new OpenAIInstrumentation(), 'module'),
  content: 'span',
  responseId: true,
});
