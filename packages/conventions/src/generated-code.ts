/**
 * A function made from generated source, for code that runs for every span or row: `body` returns
 * it, given `argument` as `parameter`. Only for source built from the schema's and the stages' own
 * names (columns, attribute keys, field names; quoted as JSON), never from data. Where code generation is disallowed (node
 * --disallow-code-generation-from-strings), `fallback`: the same work, the slower way.
 */
export function generatedOr<F>(fallback: F, body: string, parameter = '_', argument?: unknown): F {
  let make: (argument: unknown) => F;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    make = new Function(parameter, body) as (argument: unknown) => F;
  } catch {
    return fallback;
  }
  return make(argument);
}
