/** The two JSON Lines formats of a training example. */

export const EXAMPLE_FORMATS = ['chat', 'completion'] as const;
export type ExampleFormat = (typeof EXAMPLE_FORMATS)[number];

/** One training example before it is written in a format. */
export interface TrainingExample {
  /** Instructions and schema context: what the model is told before the question. */
  readonly system: string;
  readonly question: string;
  readonly sql: string;
}

/**
 * What the model is told when none is given: the task, for the query's database type; the schema
 * is mentioned only when one follows.
 */
export function defaultInstructions(databaseType: string | undefined, withSchema = true): string {
  const database = databaseType === undefined ? 'the database' : `a ${databaseType} database`;
  return (
    `Translate the user's question into one read-only SQL query for ${database}` +
    (withSchema ? ', using only the tables and columns in the schema below.' : '.') +
    ' Answer with the SQL only.'
  );
}

/** The system message: the instructions, then the schema context the models were given. */
export function systemMessage(instructions: string, schemaContext: string | undefined): string {
  return schemaContext === undefined ? instructions : `${instructions}\n\nSchema:\n${schemaContext}`;
}

/**
 * One line of JSON Lines. `chat`: OpenAI's chat fine-tuning format, `{"messages": [system, user,
 * assistant]}`. `completion`: `{"prompt", "completion"}`, the prompt ending in `SQL:` and a new
 * line so the completion is the SQL alone.
 */
export function formatExample(format: ExampleFormat, example: TrainingExample): string {
  return exampleLineStart(format, example.system) + exampleLineEnd(format, example.question, example.sql);
}

/**
 * The start of an example's line: everything up to the question, which depends on the system
 * message alone, so an export encodes it once per system message rather than once per example.
 * JSON escapes character by character and each cut lies next to fixed ASCII text (no surrogate
 * pair is split), so start + end is the JSON text of the whole record.
 */
export function exampleLineStart(format: ExampleFormat, system: string): string {
  return format === 'chat'
    ? `{"messages":[{"role":"system","content":${JSON.stringify(system)}},{"role":"user","content":`
    : `{"prompt":${JSON.stringify(`${system}\n\nQuestion: `).slice(0, -1)}`;
}

/** The rest of an example's line after `exampleLineStart`, new line included. */
export function exampleLineEnd(format: ExampleFormat, question: string, sql: string): string {
  return format === 'chat'
    ? `${JSON.stringify(question)}},{"role":"assistant","content":${JSON.stringify(sql)}}]}\n`
    : `${JSON.stringify(`${question}\n\nSQL:\n`).slice(1)},"completion":${JSON.stringify(sql)}}\n`;
}

/** A preference pair before it is written: the prompt, and the better and the worse SQL. */
export interface PreferenceExample {
  readonly system: string;
  readonly question: string;
  readonly chosen: string;
  readonly rejected: string;
}

const promptMessages = (example: { system: string; question: string }) => [
  { role: 'system', content: example.system },
  { role: 'user', content: example.question },
];

const completionPrompt = (example: { system: string; question: string }) =>
  `${example.system}\n\nQuestion: ${example.question}\n\nSQL:\n`;

/**
 * One line of OpenAI's preference (DPO) fine-tuning format: `input.messages` (system, user),
 * `preferred_output` and `non_preferred_output`, each one assistant message.
 */
export function formatOpenAiPreference(pair: PreferenceExample): string {
  return `${JSON.stringify({
    input: { messages: promptMessages(pair) },
    preferred_output: [{ role: 'assistant', content: pair.chosen }],
    non_preferred_output: [{ role: 'assistant', content: pair.rejected }],
  })}\n`;
}

/**
 * One line of `{prompt, chosen, rejected}`, the form TRL's DPOTrainer reads: conversational
 * (message lists) for `chat`, plain text for `completion` (the prompt as in the SFT file).
 */
export function formatPromptChosenRejected(format: ExampleFormat, pair: PreferenceExample): string {
  const record =
    format === 'chat'
      ? {
          prompt: promptMessages(pair),
          chosen: [{ role: 'assistant', content: pair.chosen }],
          rejected: [{ role: 'assistant', content: pair.rejected }],
        }
      : { prompt: completionPrompt(pair), chosen: pair.chosen, rejected: pair.rejected };
  return `${JSON.stringify(record)}\n`;
}
