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

/** What the model is told when none is given: the task, for the query's database type. */
export function defaultInstructions(databaseType: string | undefined): string {
  const database = databaseType === undefined ? 'the database' : `a ${databaseType} database`;
  return (
    `Translate the user's question into one read-only SQL query for ${database}, ` +
    'using only the tables and columns in the schema below. Answer with the SQL only.'
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
  const record =
    format === 'chat'
      ? {
          messages: [
            { role: 'system', content: example.system },
            { role: 'user', content: example.question },
            { role: 'assistant', content: example.sql },
          ],
        }
      : { prompt: `${example.system}\n\nQuestion: ${example.question}\n\nSQL:\n`, completion: example.sql };
  return `${JSON.stringify(record)}\n`;
}
