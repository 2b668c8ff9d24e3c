/**
 * Stand-ins for the application functions the README example calls. The local model times out,
 * so the example takes its fallback path.
 */
export const uiCalls: unknown[][] = [];

export class ModelTimeoutError extends Error {
  override readonly name = 'ModelTimeoutError';
}

export function retrieveSchema(
  question: string,
): Promise<{ tables: string[]; tokens: number; text: string }> {
  void question;
  return Promise.resolve({
    tables: ['PRODUCTION_RUNS', 'LINES'],
    tokens: 412,
    text: 'CREATE TABLE PRODUCTION_RUNS (LINE_ID NUMBER, EFFICIENCY NUMBER, RUN_DATE DATE);',
  });
}

export function askModel(
  model: string,
  question: string,
  schema: string,
): Promise<{ sql: string; inputTokens: number; outputTokens: number }> {
  void question;
  void schema;
  if (model === 'sqlcoder-7b') return Promise.reject(new ModelTimeoutError('no answer within 10 s'));
  return Promise.resolve({
    sql: 'SELECT RUN_DATE, AVG(EFFICIENCY) FROM PRODUCTION_RUNS WHERE LINE_ID = 3 GROUP BY RUN_DATE',
    inputTokens: 820,
    outputTokens: 31,
  });
}

export function runSql(sql: string): Promise<unknown[][]> {
  void sql;
  return Promise.resolve([
    ['2026-11-23', 0.91],
    ['2026-11-24', 0.87],
  ]);
}

export function sendToUi(...values: unknown[]): void {
  uiCalls.push(values);
}
