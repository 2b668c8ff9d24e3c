/**
 * Estimated token count of a text: about four characters per token, the usual rule of thumb for
 * English and SQL with BPE tokenizers. One estimate for the whole demo, so the schema context's
 * token count and the models' usage agree with each other.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}
