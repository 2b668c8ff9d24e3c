/**
 * The vocabulary used to describe one span attribute: its key, value type, whether a stage
 * requires it, and the prose and example that `docs/conventions.md` is generated from.
 */

/**
 * Value types an attribute can carry. `json` is a string holding JSON text (the way OpenTelemetry
 * records structured values such as `gen_ai.input.messages` on span attributes).
 */
export type AttributeType = 'string' | 'int' | 'double' | 'boolean' | 'string[]' | 'json';

export interface AttributeSpec<
  K extends string = string,
  T extends AttributeType = AttributeType,
  R extends boolean = boolean,
  V extends readonly string[] = readonly string[],
  C extends boolean = boolean,
> {
  /** The attribute key as it appears on the span. */
  readonly key: K;
  readonly type: T;
  /** Whether a span of the stage is expected to carry this attribute. */
  readonly required: R;
  /** Known values; the attribute is restricted to them when `closed` is true. */
  readonly values?: V;
  readonly closed?: C;
  readonly description: string;
  readonly example: string | number | boolean | readonly string[];
}

interface SpecOptions<
  T extends AttributeType,
  R extends boolean,
  V extends readonly string[],
  C extends boolean,
> {
  type: T;
  required: R;
  values?: V;
  closed?: C;
  description: string;
  example: string | number | boolean | readonly string[];
}

/** Declares one attribute of a stage; the `const` type parameters keep the literals for typing. */
export function attribute<
  const K extends string,
  const T extends AttributeType,
  const R extends boolean,
  const V extends readonly string[] = readonly string[],
  const C extends boolean = false,
>(key: K, options: SpecOptions<T, R, V, C>): AttributeSpec<K, T, R, V, C> {
  return { key, ...options };
}

/**
 * The TypeScript type of a value of the given attribute spec. Arrays are `readonly` in the fields
 * helpers take (any array will do) and mutable in attribute maps, as OpenTelemetry's
 * `Attributes` type wants them.
 */
export type AttributeValueOf<S extends AttributeSpec, StringArray = readonly string[]> = S extends {
  readonly closed?: true;
  readonly values?: infer V;
}
  ? NonNullable<V> extends readonly string[]
    ? NonNullable<V>[number]
    : never
  : S['type'] extends 'string' | 'json'
    ? string
    : S['type'] extends 'int' | 'double'
      ? number
      : S['type'] extends 'boolean'
        ? boolean
        : S['type'] extends 'string[]'
          ? StringArray
          : never;

export type FieldSpecs = Readonly<Record<string, AttributeSpec>>;

type RequiredNames<F extends FieldSpecs> = {
  [N in keyof F]: F[N]['required'] extends true ? N : never;
}[keyof F];
type OptionalNames<F extends FieldSpecs> = Exclude<keyof F, RequiredNames<F>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Friendly camelCase input of a stage (what the typed helpers accept). */
export type FieldsOf<F extends FieldSpecs> = Simplify<
  { [N in RequiredNames<F>]: AttributeValueOf<F[N]> } & { [N in OptionalNames<F>]?: AttributeValueOf<F[N]> }
>;

/** The same input keyed by attribute name (what plain `tracer.startActiveSpan` users write). */
export type AttributesOf<F extends FieldSpecs> = Simplify<
  { [N in RequiredNames<F> as F[N]['key']]: AttributeValueOf<F[N], string[]> } & {
    [N in OptionalNames<F> as F[N]['key']]?: AttributeValueOf<F[N], string[]>;
  }
>;
