/**
 * The prompt both models are given and the GenAI message JSON recorded for each call
 * (`gen_ai.input.messages` / `gen_ai.output.messages`).
 */

export const SYSTEM_INSTRUCTIONS =
  'You translate questions about a manufacturing database into exactly one read-only SQLite ' +
  'SELECT statement. Use only the tables and columns in the schema. Answer with the SQL in a ' +
  '```sql code block and nothing else.';

export function systemPrompt(schemaContext: string): string {
  return `${SYSTEM_INSTRUCTIONS}\n\nSchema:\n${schemaContext}`;
}

interface TextPart {
  type: 'text';
  content: string;
}

interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  parts: TextPart[];
  finish_reason?: string;
}

/** `gen_ai.input.messages`: the system prompt with the schema, then the user's question. */
export function inputMessagesJson(schemaContext: string, question: string): string {
  const messages: ChatMessage[] = [
    { role: 'system', parts: [{ type: 'text', content: systemPrompt(schemaContext) }] },
    { role: 'user', parts: [{ type: 'text', content: question }] },
  ];
  return JSON.stringify(messages);
}

/** `gen_ai.output.messages`: the assistant's reply and why it stopped. */
export function outputMessagesJson(content: string, finishReason: string): string {
  const messages: ChatMessage[] = [
    { role: 'assistant', parts: [{ type: 'text', content }], finish_reason: finishReason },
  ];
  return JSON.stringify(messages);
}

/**
 * The SQL in a model's reply: the first ```sql (or bare ```) block, else the text from the first
 * SQL keyword on. Models wrap their answers in prose often enough that this is needed.
 */
export function extractSql(content: string): string {
  const fenced = /```(?:sql)?\s*\n([\s\S]*?)```/i.exec(content);
  if (fenced) return fenced[1]!.trim();
  const start = content.search(/\b(SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|ATTACH)\b/i);
  return (start === -1 ? content : content.slice(start)).trim();
}
